// Package meters reads meter definitions in the format of OpenStack
// Ceilometer's meters.yaml, which turn notifications into samples.
package meters
