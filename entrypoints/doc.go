// Package entrypoints reads the TOML manifests that declare a program's
// extensions, finds them, and resolves their targets to Go values.
//
// An extension ships a manifest that declares entry points: each has a
// namespace (the extension point it plugs into), a name and a target (where
// its value comes from):
//
//	[distribution]
//	name = "example.com/acme/pollsters"
//
//	[entry_points."ceilometer.poll.central"]
//	cpu = "example.com/acme/pollsters.NewCPU"
//
// The package that implements the extension embeds the manifest and
// registers both the manifest and the values its go: targets name, from
// init:
//
//	//go:embed entry_points.toml
//	var manifest embed.FS
//
//	func init() {
//		entrypoints.RegisterManifest(manifest, "entry_points.toml")
//		entrypoints.Register("example.com/acme/pollsters.NewCPU", NewCPU)
//	}
//
// [RegisterFunc](NewCPU) registers a function under the same target, spelled
// from its name by the Go runtime, so that it cannot be mistyped.
//
// A program links the extension in with a blank import, then calls
// [Discover], which gathers the embedded manifests and those that deployers
// put in directories on $STEVEDORE_PATH into a [Catalog]: entry points by
// namespace, in a deterministic order, with disabled and shadowed entries
// and unreadable manifests reported rather than fatal. [Registry.Load]
// turns an entry point into its value through the [Loader] of its target's
// scheme.
//
// Most programs use the managers of the parent package,
// [github.com/stevedore-go/stevedore], which do all of this and call the
// extensions; this package is for tools that read manifests, and for
// extension authors, who need nothing else.
//
// [Parse] and [ParseTarget] are strict, and their errors say where the
// problem is, as a compiler does:
//
//	gpu.toml:3:43: entry_points."ceilometer.poll.central".gpu: unknown key "prioity" (did you mean "priority"?)
//
// Manifests are TOML 1.1. Parse reads one in a single pass, in time and
// memory linear in its size, within limits that no real manifest comes
// near (see Parse), so that a hostile manifest is a problem to report,
// never a way to stop the program.
package entrypoints
