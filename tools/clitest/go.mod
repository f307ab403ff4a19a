module github.com/stevedore-go/stevedore/tools/clitest

go 1.26.0

require (
	github.com/rogpeppe/go-internal v1.16.0
	github.com/stevedore-go/stevedore v0.0.0-00010101000000-000000000000
)

require (
	golang.org/x/sys v0.26.0 // indirect
	golang.org/x/tools v0.26.0 // indirect
)

replace github.com/stevedore-go/stevedore => ../..
