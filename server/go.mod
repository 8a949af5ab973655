module github.com/carminedb/carmine/server

go 1.24

require (
	github.com/carminedb/carmine/acl v0.0.0-00010101000000-000000000000
	github.com/carminedb/carmine/clusterbus v0.0.0-00010101000000-000000000000
	github.com/carminedb/carmine/geohash v0.0.0-00010101000000-000000000000
	github.com/carminedb/carmine/keyspace v0.0.0-00010101000000-000000000000
	github.com/carminedb/carmine/rdbfmt v0.0.0-00010101000000-000000000000
	github.com/carminedb/carmine/resp v0.0.0-00010101000000-000000000000
	github.com/hashicorp/go-hclog v1.6.3
	github.com/oklog/run v1.2.0
	github.com/stretchr/testify v1.12.1
	github.com/yuin/gopher-lua v1.1.2
)

require (
	github.com/carminedb/carmine/replproto v0.0.0-00010101000000-000000000000
	github.com/fatih/color v1.13.0 // indirect
	github.com/mattn/go-colorable v0.1.12 // indirect
	github.com/mattn/go-isatty v0.0.14 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.0.0-20220503163025-988cb79eb6c6 // indirect
)

replace (
	github.com/carminedb/carmine/acl => ../acl
	github.com/carminedb/carmine/clusterbus => ../clusterbus
	github.com/carminedb/carmine/geohash => ../geohash
	github.com/carminedb/carmine/keyspace => ../keyspace
	github.com/carminedb/carmine/rdbfmt => ../rdbfmt
	github.com/carminedb/carmine/resp => ../resp
)

replace github.com/carminedb/carmine/replproto => ../replproto
