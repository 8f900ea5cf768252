package infer

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/emac-dev/emac/internal/evidence/trace"
)

// Public traces written by real instrumentation (testdata/real/*, each
// with its SOURCE.md: repository, path, commit, licence), read as
// `emac discover` reads them and checked against models worked out by
// hand from the spans.

// realComp is a component expected in a real trace's model.
type realComp struct {
	service, op, kind string
	good, total       int
	evidence          string // a part of Component.Evidence
}

// realCase is one real trace, a journey in it and the model expected.
type realCase struct {
	dir, journey string
	tree         string
	comps        map[string]realComp
	notes        []string // parts of notes the model must have
	duplicates   int      // spans the grouping must drop
	check        func(t *testing.T, m *Model)
}

// readReal reads a real trace directory's trace.json and infers the
// journey, grouping spans as discover does.
func readReal(t *testing.T, dir, journey string) (*Model, trace.GroupStats) {
	t.Helper()
	g := trace.NewGrouper(trace.GroupOptions{Dir: t.TempDir()})
	path := filepath.Join("testdata/real", dir, "trace.json")
	if _, err := trace.Read([]string{path}, trace.Options{}, g.Add); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	b := NewBuilder(Options{Journey: journey})
	if err := g.Close(func(src string, spans []trace.Span) error { b.Add(src, spans); return nil }); err != nil {
		t.Fatal(err)
	}
	m, err := b.Model()
	if err != nil {
		t.Fatalf("%s: model: %v", dir, err)
	}
	checkValid(t, m)
	return m, g.Stats()
}

var realCases = []realCase{{
	// Yelp, production (Zipkin v2, shared spans): mobile_api handles POST
	// /location/update/v4 by calling memcache get_multi (0.3–1.4 ms after
	// its start), memcache set (4.9–6.0 ms), spectre get (12.9–15.9 ms;
	// spectre's server half shares the client's span ID) and blt post
	// (24.9–38.9 ms), strictly one after another. memcache serves two
	// steps: two operations, two components; blt and memcache have no
	// server spans (uninstrumented), named by the client's remote
	// endpoint. No span records its outcome.
	dir: "zipkin-yelp", journey: "mobile_api post /location/update/v4",
	tree: "Series(memcache.get_multi_mobile_api_nonce, memcache.set_mobile_api_nonce, spectre.get, blt.post)",
	comps: map[string]realComp{
		"memcache.get_multi_mobile_api_nonce": {"memcache", "get_multi mobile_api_nonce", "external_dependency", 1, 1, "no call records its outcome"},
		"memcache.set_mobile_api_nonce":       {"memcache", "set mobile_api_nonce", "external_dependency", 1, 1, ""},
		"spectre.get":                         {"spectre", "get", "service", 1, 1, ""},
		"blt.post":                            {"blt", "post", "external_dependency", 1, 1, ""},
	},
}, {
	// A Spring Cloud gateway (Zipkin v2, shared spans, clock skew):
	// mobile-gateway's GET calls auth-service (0.8–14.9 ms) then
	// content-service (19.3–39.6 ms). Its client spans name no remote
	// service: the callees are known only from the server halves that
	// share their span IDs. auth-service's clock runs about 4 ms ahead
	// (its server half starts after its client half ended); the order
	// comes from the caller's clock.
	dir: "zipkin-ascend", journey: "mobile-gateway get",
	tree: "Series(auth-service.http_parent_auth-service_v1_authentications, content-service.get_content_personal)",
	comps: map[string]realComp{
		"auth-service.http_parent_auth-service_v1_authentications": {"auth-service", "http:/parent/auth-service/v1/authentications/", "service", 1, 1, ""},
		"content-service.get_content_personal":                     {"content-service", "get /content/personal", "service", 1, 1, ""},
	},
}, {
	// Spring Boot with JDBC tracing (Zipkin v2): POST /book reads a
	// sequence number ("call", 100.5–106.5 ms), then inserts three rows
	// (179.2, 197.6 and 207.0 ms) into app_db, one after another. The
	// same operation three times in a row is three leaves of one
	// component.
	dir: "zipkin-simple-db-p6", journey: "bootifulmeters http:/book",
	tree: "Series(app_db.call, app_db.insert, app_db.insert, app_db.insert)",
	comps: map[string]realComp{
		"app_db.call":   {"app_db", "call", "external_dependency", 1, 1, ""},
		"app_db.insert": {"app_db", "insert", "external_dependency", 3, 3, ""},
	},
}, {
	// Zipkin's clock-skew example: servicea's GET calls serviceb's POST,
	// whose server half (sharing the client's span ID) starts 65 ms
	// before the client half — serviceb's clock is behind. One call, one
	// component; serviceb's own async work is below its server span.
	dir: "zipkin-skew", journey: "servicea get",
	tree: "serviceb.post",
	comps: map[string]realComp{
		"serviceb.post": {"serviceb", "post", "service", 1, 1, ""},
	},
}, {
	// SmartThings, production (Zipkin v2, 175 spans, shared spans): a
	// browser's OAuth login. stlogin's POST calls auth's POST
	// /sso/authenticate, which answers 401 (Zipkin error tag), then the
	// browser follows the login page's redirect (stlogin GET, a server
	// span whose client is not traced). The capture also holds five
	// "receive" spans of one message delivered to five pusher instances
	// under one span ID: not duplicates, all kept.
	dir: "zipkin-smartthings-oauth-authorization", journey: "stlogin post",
	tree: "Series(auth.post_sso_authenticate, stlogin.get)",
	comps: map[string]realComp{
		"auth.post_sso_authenticate": {"auth", "post /sso/authenticate", "service", 0, 1, "span status: 1"},
		"stlogin.get":                {"stlogin", "get", "service", 1, 1, ""},
	},
	notes: []string{"no client span"},
}, {
	// The same capture: datamgmt's GET /oauth/confirm_access looks up the
	// client (auth GET /clients/_uuid_) then the user's locations
	// (account GET /locations/user/:username), one after another.
	dir: "zipkin-smartthings-oauth-authorization", journey: "datamgmt get /oauth/confirm_access",
	tree: "Series(auth.get_clients_uuid, account.get_locations_user_username)",
	comps: map[string]realComp{
		"auth.get_clients_uuid":               {"auth", "get /clients/_uuid_", "service", 1, 1, ""},
		"account.get_locations_user_username": {"account", "get /locations/user/:username", "service", 1, 1, ""},
	},
}, {
	// The Pyroscope ride-sharing example (OpenTelemetry Go SDK), as the
	// Jaeger UI holds it: one trace object under "data". The load
	// generator's OrderVehicle makes one HTTP GET (status 200 recorded)
	// answered by ride-sharing-app's BikeHandler.
	dir: "jaeger-ui-ride-sharing", journey: "OrderVehicle",
	tree: "ride-sharing-app.BikeHandler",
	comps: map[string]realComp{
		"ride-sharing-app.BikeHandler": {"ride-sharing-app", "BikeHandler", "service", 1, 1, "1 of 1 calls record their outcome"},
	},
}}

// TestRealTraces checks the model discovered from each public trace.
func TestRealTraces(t *testing.T) {
	for _, tc := range realCases {
		t.Run(tc.dir+"/"+tc.journey, func(t *testing.T) {
			m, st := readReal(t, tc.dir, tc.journey)
			if got := m.Root.String(); got != tc.tree {
				t.Errorf("tree %s, want %s", got, tc.tree)
			}
			if len(m.Components) != len(tc.comps) {
				t.Errorf("%d components, want %d", len(m.Components), len(tc.comps))
			}
			for name, want := range tc.comps {
				c := component(m, name)
				if c == nil {
					t.Errorf("no component %s", name)
					continue
				}
				if c.Service != want.service || c.Operation != want.op || c.Kind != want.kind || c.Good != want.good || c.Total != want.total {
					t.Errorf("%s: service %q operation %q kind %s %d/%d, want %q %q %s %d/%d", name, c.Service, c.Operation, c.Kind,
						c.Good, c.Total, want.service, want.op, want.kind, want.good, want.total)
				}
				if !strings.Contains(c.Evidence, want.evidence) {
					t.Errorf("%s: failure evidence %q lacks %q", name, c.Evidence, want.evidence)
				}
			}
			for _, n := range tc.notes {
				if !hasNote(m, n) {
					t.Errorf("no note about %q: %v", n, m.Notes)
				}
			}
			if st.Duplicates != tc.duplicates {
				t.Errorf("%d spans dropped as duplicates, want %d", st.Duplicates, tc.duplicates)
			}
			if m.Traces != 1 {
				t.Errorf("%d instances, want 1", m.Traces)
			}
		})
	}
}
