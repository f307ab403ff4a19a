// Package stevedore manages a program's extensions: it discovers the
// entry points that extensions declare in TOML manifests, loads the ones a
// program asks for, and calls them, in the manner of OpenStack's Python
// stevedore.
//
// Manifests, discovery and target resolution live in the entrypoints
// sub-package.
package stevedore
