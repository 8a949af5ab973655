module github.com/carminedb/carmine/rdbfmt

go 1.24
