module github.com/carminedb/carmine/replproto

go 1.24
