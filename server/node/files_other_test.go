//go:build !unix

package node

import "errors"

func limitFiles(int, int) error { return errors.New("limiting open files is not supported here") }

func raiseFileLimit(int) error { return errors.New("limits of open files are not supported here") }
