module github.com/carminedb/carmine/tools

go 1.24

require (
	github.com/carminedb/carmine/rdbfmt v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect

replace github.com/carminedb/carmine/rdbfmt => ../rdbfmt
