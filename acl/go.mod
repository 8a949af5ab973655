module github.com/carminedb/carmine/acl

go 1.24
