module github.com/carminedb/carmine/geohash

go 1.24
