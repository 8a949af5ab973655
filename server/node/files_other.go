//go:build !unix

package node

import "github.com/hashicorp/go-hclog"

// fitMaxClients leaves maxclients as configured where there is no limit of open files to fit it to.
func fitMaxClients(maxClients int, _ hclog.Logger) int { return maxClients }
