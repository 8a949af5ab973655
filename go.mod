module github.com/carminedb/carmine

go 1.24
