// Package e2e holds end-to-end tests that run emac's generated artifacts
// against real tools. TestPrometheusEndToEnd compiles a journey with
// `emac compile`, starts the real `prometheus` binary (Debian's prometheus
// package) on 127.0.0.1 with the generated rule file and a synthetic
// scrape target, and checks that Prometheus's live journey SLIs equal the
// Go compiler's bounds and that the page burn alert fires when the leaves
// degrade. The package has no non-test code.
package e2e
