module github.com/carminedb/carmine/tools

go 1.24
