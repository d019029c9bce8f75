// Package deploy holds the files that run camaug in production: a container
// image, a compose file (MongoDB replica set, two instances, a TLS proxy),
// Kubernetes manifests and the one-machine systemd unit. No container engine
// or cluster runs here, so these tests load each file with the parser its
// tool uses (compose-go, the Kubernetes API types, BuildKit's Dockerfile
// parser) and check what an operator relies on. What only a real Docker or
// cluster can show is listed in README.md ("Deployment").
package deploy

import (
	"bufio"
	"context"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// composeEnv is what an operator puts in deploy/.env (compose.env.example).
var composeEnv = []string{
	"MONGO_ROOT_PASSWORD=root-secret-for-the-test",
	"CAMAUG_DB_PASSWORD=app-secret-for-the-test",
	"CAMAUG_KEY_SECRET=key-secret-for-the-test-0123456789",
	"CAMAUG_DOMAIN=camaug.example.invalid",
}

func loadCompose(t *testing.T, env []string) (*types.Project, error) {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"compose.yaml"}, cli.WithEnv(env), cli.WithName("camaug"), cli.WithWorkingDirectory("."))
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("compose.yaml has no service %q", name)
	}
	return s
}

func env(s types.ServiceConfig, key string) string {
	if v, ok := s.Environment[key]; ok && v != nil {
		return *v
	}
	return ""
}

// TestCompose: the compose file loads as Docker Compose would load it and
// runs a 3-member replica set, its initiation, two camaug instances and a
// TLS proxy, each with the safety settings the README promises.
func TestCompose(t *testing.T) {
	p, err := loadCompose(t, composeEnv)
	if err != nil {
		t.Fatalf("compose.yaml does not load: %v", err)
	}
	var names []string
	for n := range p.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	want := []string{"camaug1", "camaug2", "mongo-init", "mongo-keyfile", "mongo1", "mongo2", "mongo3", "proxy"}
	if !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}

	members := []string{"mongo1", "mongo2", "mongo3"}
	for _, m := range members {
		s := service(t, p, m)
		cmd := strings.Join(s.Command, " ")
		if !strings.Contains(cmd, "--replSet rs0") || !strings.Contains(cmd, "--keyFile /keyfile/rs0.key") {
			t.Errorf("%s: command %q lacks --replSet rs0 and the shared keyFile (members must authenticate each other)", m, cmd)
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s has no health check (mongo-init waits on it)", m)
		}
		if !slices.Contains(volumeTargets(s), "/data/db") {
			t.Errorf("%s keeps its data in no volume", m)
		}
		if len(s.Ports) != 0 || !onlyNetworks(s, "db") {
			t.Errorf("%s: MongoDB must be on the internal network only, unpublished (ports %v, networks %v)", m, s.Ports, s.Networks)
		}
	}
	if !p.Networks["db"].Internal {
		t.Error("the database network is not internal")
	}

	init := service(t, p, "mongo-init")
	script := strings.Join(init.Command, "\n")
	for _, host := range []string{"mongo1:27017", "mongo2:27017", "mongo3:27017"} {
		if !strings.Contains(script, host) {
			t.Errorf("mongo-init's rs.initiate does not name %s", host)
		}
	}
	for _, want := range []string{`rs.initiate({_id: "rs0"`, "createUser", `role: "readWrite", db: "camaug"`, "process.env.CAMAUG_DB_PASSWORD"} {
		if !strings.Contains(script, want) {
			t.Errorf("mongo-init's script lacks %q", want)
		}
	}
	if strings.Contains(strings.Join(init.Entrypoint, " "), "root-secret") || strings.Contains(script, "root-secret") {
		t.Error("the root password is on mongo-init's command line (visible in ps): read it from the environment")
	}
	for _, m := range members {
		if init.DependsOn[m].Condition != types.ServiceConditionHealthy {
			t.Errorf("mongo-init does not wait for %s to be healthy", m)
		}
	}

	proxy := service(t, p, "proxy")
	proxyIP := proxy.Networks["app"].Ipv4Address
	for _, name := range []string{"camaug1", "camaug2"} {
		s := service(t, p, name)
		uri := env(s, "MONGODB_URI")
		for _, want := range []string{"mongo1:27017,mongo2:27017,mongo3:27017", "replicaSet=rs0", "w=majority", "timeoutMS="} {
			if !strings.Contains(uri, want) {
				t.Errorf("%s: MONGODB_URI %q lacks %q", name, uri, want)
			}
		}
		if !strings.Contains(uri, "app-secret-for-the-test") || env(s, "CAMAUG_KEY_SECRET") != "key-secret-for-the-test-0123456789" {
			t.Errorf("%s does not take its secrets from the environment file", name)
		}
		if env(s, "CAMAUG_MONGODB_WRITE_CONCERN") != "majority" {
			t.Errorf("%s: write concern %q, want majority", name, env(s, "CAMAUG_MONGODB_WRITE_CONCERN"))
		}
		if env(s, "CAMAUG_TRUSTED_PROXIES") != proxyIP || proxyIP == "" {
			t.Errorf("%s trusts proxies %q; the proxy's fixed address is %q", name, env(s, "CAMAUG_TRUSTED_PROXIES"), proxyIP)
		}
		if !s.ReadOnly || s.User == "" || strings.HasPrefix(s.User, "0") || s.User == "root" {
			t.Errorf("%s: read_only %v, user %q: want a read-only root file system and a non-root user", name, s.ReadOnly, s.User)
		}
		if !slices.Contains(s.CapDrop, "ALL") {
			t.Errorf("%s keeps Linux capabilities it does not need", name)
		}
		if !slices.ContainsFunc(s.Tmpfs, func(m string) bool { return strings.HasPrefix(m, "/tmp") }) {
			t.Errorf("%s: no writable /tmp (uploads are spooled there) on a read-only root", name)
		}
		if !slices.Contains(volumeSources(s), "media") {
			t.Errorf("%s does not mount the shared media volume", name)
		}
		hc := s.HealthCheck
		if hc == nil || !slices.Equal([]string(hc.Test), []string{"CMD", "/usr/local/bin/camaug", "healthcheck"}) {
			t.Errorf("%s: health check %v, want the binary's own `camaug healthcheck`", name, hc)
		}
		if s.DependsOn["mongo-init"].Condition != types.ServiceConditionCompletedSuccessfully {
			t.Errorf("%s may start before the replica set is initiated", name)
		}
		if s.Build == nil || s.Build.Dockerfile != "deploy/Dockerfile" {
			t.Errorf("%s is not built from deploy/Dockerfile", name)
		}
		if len(s.Ports) != 0 {
			t.Errorf("%s publishes ports %v: only the proxy is reachable from outside", name, s.Ports)
		}
		if s.Deploy == nil || s.Deploy.Resources.Limits == nil || s.Deploy.Resources.Limits.MemoryBytes == 0 {
			t.Errorf("%s has no memory limit", name)
		}
	}
	var published []string
	for _, port := range proxy.Ports {
		published = append(published, port.Published)
	}
	if !slices.Contains(published, "443") || !slices.Contains(published, "80") {
		t.Errorf("the proxy publishes %v, want 80 and 443", published)
	}
	caddy, err := os.ReadFile("Caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"camaug1:8080 camaug2:8080", "health_uri /readyz"} {
		if !strings.Contains(string(caddy), want) {
			t.Errorf("Caddyfile lacks %q", want)
		}
	}
	if !slices.ContainsFunc(proxy.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Target == "/etc/caddy/Caddyfile" && filepath.Base(v.Source) == "Caddyfile"
	}) {
		t.Error("the proxy does not mount deploy/Caddyfile")
	}
}

// TestCompose_RefusesMissingSecrets: without the secrets the compose file
// does not load at all, instead of starting with empty passwords.
func TestCompose_RefusesMissingSecrets(t *testing.T) {
	for _, drop := range []string{"MONGO_ROOT_PASSWORD", "CAMAUG_DB_PASSWORD", "CAMAUG_KEY_SECRET"} {
		var env []string
		for _, kv := range composeEnv {
			if !strings.HasPrefix(kv, drop+"=") {
				env = append(env, kv)
			}
		}
		if _, err := loadCompose(t, env); err == nil || !strings.Contains(err.Error(), drop) {
			t.Errorf("without %s: got %v, want an error naming it", drop, err)
		}
	}
	// The example environment file names every variable the compose file requires.
	example, err := os.ReadFile("compose.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range composeEnv {
		name := strings.SplitN(kv, "=", 2)[0]
		if !regexp.MustCompile(`(?m)^` + name + `=`).Match(example) {
			t.Errorf("compose.env.example does not list %s", name)
		}
	}
}

func volumeTargets(s types.ServiceConfig) []string {
	var out []string
	for _, v := range s.Volumes {
		out = append(out, v.Target)
	}
	return out
}

func volumeSources(s types.ServiceConfig) []string {
	var out []string
	for _, v := range s.Volumes {
		out = append(out, v.Source)
	}
	return out
}

func onlyNetworks(s types.ServiceConfig, names ...string) bool {
	if len(s.Networks) != len(names) {
		return false
	}
	for _, n := range names {
		if _, ok := s.Networks[n]; !ok {
			return false
		}
	}
	return true
}

// k8sObjects decodes every manifest the kustomization applies (and the
// example Secret) into its Kubernetes API type, refusing unknown fields, so
// a misspelt field fails here instead of being dropped by the cluster.
type k8sObjects struct {
	deployment appsv1.Deployment
	service    corev1.Service
	configMap  corev1.ConfigMap
	secret     corev1.Secret
	pdb        policyv1.PodDisruptionBudget
	hpa        autoscalingv2.HorizontalPodAutoscaler
	netpol     networkingv1.NetworkPolicy
	ingress    networkingv1.Ingress
	namespace  corev1.Namespace
}

func loadK8s(t *testing.T) k8sObjects {
	t.Helper()
	var kust struct {
		Resources []string `json:"resources"`
		Namespace string   `json:"namespace"`
	}
	decode(t, "k8s/kustomization.yaml", &kust, false)
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		base := filepath.Base(f)
		if base != "kustomization.yaml" && base != "secret.example.yaml" && !slices.Contains(kust.Resources, base) {
			t.Errorf("%s is not applied by kustomization.yaml", f)
		}
	}
	var o k8sObjects
	targets := map[string]any{
		"Deployment": &o.deployment, "Service": &o.service, "ConfigMap": &o.configMap, "Secret": &o.secret,
		"PodDisruptionBudget": &o.pdb, "HorizontalPodAutoscaler": &o.hpa, "NetworkPolicy": &o.netpol,
		"Ingress": &o.ingress, "Namespace": &o.namespace,
	}
	seen := map[string]bool{}
	for _, name := range append(slices.Clone(kust.Resources), "secret.example.yaml") {
		path := filepath.Join("k8s", name)
		var meta struct {
			Kind     string `json:"kind"`
			Metadata struct {
				Namespace string `json:"namespace"`
			} `json:"metadata"`
		}
		decode(t, path, &meta, false)
		target, ok := targets[meta.Kind]
		if !ok {
			t.Fatalf("%s: unexpected kind %q", path, meta.Kind)
		}
		decode(t, path, target, true)
		seen[meta.Kind] = true
		if meta.Kind != "Namespace" && meta.Metadata.Namespace != kust.Namespace {
			t.Errorf("%s is in namespace %q, not %q", path, meta.Metadata.Namespace, kust.Namespace)
		}
	}
	for kind := range targets {
		if !seen[kind] {
			t.Errorf("no %s manifest", kind)
		}
	}
	return o
}

func decode(t *testing.T, path string, into any, strict bool) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strict {
		err = yaml.UnmarshalStrict(b, into)
	} else {
		err = yaml.Unmarshal(b, into)
	}
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// TestKubernetes: the manifests decode into the API's types and set what a
// production Deployment needs: probes on /healthz and /readyz, requests and
// limits, a locked-down pod, a disruption budget and an autoscaler aimed at
// the Deployment, a network policy on its pods, and secrets from a Secret.
func TestKubernetes(t *testing.T) {
	o := loadK8s(t)
	d := o.deployment
	labels := d.Spec.Template.Labels
	if d.Spec.Selector == nil || !subset(d.Spec.Selector.MatchLabels, labels) {
		t.Fatal("the Deployment's selector does not match its pods")
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Error("fewer than 2 replicas: one drain takes the service down")
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Error("a rolling update may take pods away before new ones are ready (maxUnavailable should be 0)")
	}
	pod := d.Spec.Template.Spec
	if pod.SecurityContext == nil || pod.SecurityContext.RunAsNonRoot == nil || !*pod.SecurityContext.RunAsNonRoot {
		t.Error("the pod may run as root")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the pod mounts a service account token it never uses")
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	probe := func(name string, p *corev1.Probe, path string) {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("no %s probe", name)
			return
		}
		if p.HTTPGet.Path != path || ports[p.HTTPGet.Port.String()] != 8080 {
			t.Errorf("%s probe: %s on port %s, want %s on the http port (8080)", name, p.HTTPGet.Path, p.HTTPGet.Port.String(), path)
		}
		if p.TimeoutSeconds == 0 || p.PeriodSeconds == 0 {
			t.Errorf("%s probe without period or timeout", name)
		}
	}
	probe("liveness", c.LivenessProbe, "/healthz")
	probe("readiness", c.ReadinessProbe, "/readyz")
	probe("startup", c.StartupProbe, "/healthz")
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if c.Resources.Requests.Name(r, "").IsZero() || c.Resources.Limits.Name(r, "").IsZero() {
			t.Errorf("no %s request and limit", r)
		}
	}
	if mem := c.Resources.Limits.Memory().Value(); mem < 256<<20 {
		t.Errorf("memory limit %d bytes is below what the service needs (hashing budget + upload decoding)", mem)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Error("the container is not locked down (read-only root, no privilege escalation, all capabilities dropped)")
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = true
	}
	if !mounts["/tmp"] {
		t.Error("no writable /tmp on a read-only root (uploads are spooled there)")
	}
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil || c.Lifecycle.PreStop.Sleep == nil {
		t.Error("no pre-stop pause: the ingress may still send requests to a stopping pod")
	}
	if pod.TerminationGracePeriodSeconds == nil || *pod.TerminationGracePeriodSeconds < 15+c.Lifecycle.PreStop.Sleep.Seconds {
		t.Error("the grace period is shorter than the pre-stop pause plus CAMAUG_SHUTDOWN_TIMEOUT")
	}

	// Configuration: secrets come from the Secret, the rest from the ConfigMap.
	var secretRef, configRef string
	for _, e := range c.EnvFrom {
		if e.SecretRef != nil {
			secretRef = e.SecretRef.Name
		}
		if e.ConfigMapRef != nil {
			configRef = e.ConfigMapRef.Name
		}
	}
	if secretRef != o.secret.Name || configRef != o.configMap.Name {
		t.Errorf("envFrom secret %q and config map %q, want %q and %q", secretRef, configRef, o.secret.Name, o.configMap.Name)
	}
	for _, key := range []string{"MONGODB_URI", "CAMAUG_KEY_SECRET"} {
		if _, ok := o.secret.StringData[key]; !ok {
			t.Errorf("the example Secret lacks %s", key)
		}
		if _, ok := o.configMap.Data[key]; ok {
			t.Errorf("%s is in the ConfigMap: it is a secret", key)
		}
	}
	if !strings.Contains(o.secret.StringData["MONGODB_URI"], "w=majority") || o.configMap.Data["CAMAUG_MONGODB_WRITE_CONCERN"] != "majority" {
		t.Error("the MongoDB connection does not ask for majority writes")
	}
	if addr := o.configMap.Data["CAMAUG_ADDR"]; !strings.HasSuffix(addr, ":8080") || strings.HasPrefix(addr, "127.") {
		t.Errorf("CAMAUG_ADDR %q: the pod must listen on all interfaces on 8080 for its probes and Service", addr)
	}

	// The Service, disruption budget, autoscaler and network policy all
	// select these pods.
	if !subset(o.service.Spec.Selector, labels) {
		t.Error("the Service selects no camaug pod")
	}
	if o.pdb.Spec.Selector == nil || !subset(o.pdb.Spec.Selector.MatchLabels, labels) || (o.pdb.Spec.MinAvailable == nil && o.pdb.Spec.MaxUnavailable == nil) {
		t.Error("the PodDisruptionBudget does not guard the camaug pods")
	}
	ref := o.hpa.Spec.ScaleTargetRef
	if ref.Kind != "Deployment" || ref.Name != d.Name || o.hpa.Spec.MinReplicas == nil || *o.hpa.Spec.MinReplicas < 2 || o.hpa.Spec.MaxReplicas < *o.hpa.Spec.MinReplicas {
		t.Errorf("the autoscaler targets %s/%s with min %v max %d; want the Deployment, at least 2", ref.Kind, ref.Name, o.hpa.Spec.MinReplicas, o.hpa.Spec.MaxReplicas)
	}
	if !subset(o.netpol.Spec.PodSelector.MatchLabels, labels) || len(o.netpol.Spec.PolicyTypes) != 2 {
		t.Error("the NetworkPolicy does not restrict both directions for the camaug pods")
	}
	ingressPorts := map[int]bool{}
	for _, rule := range o.netpol.Spec.Ingress {
		if len(rule.From) == 0 {
			t.Error("a NetworkPolicy ingress rule admits every source")
		}
		for _, p := range rule.Ports {
			ingressPorts[p.Port.IntValue()] = true
		}
	}
	if !ingressPorts[8080] || len(ingressPorts) != 2 || !ingressPorts[9090] {
		t.Errorf("NetworkPolicy admits ports %v, want only 8080 (ingress) and 9090 (monitoring)", ingressPorts)
	}
	if b := o.ingress.Spec.Rules[0].HTTP.Paths[0].Backend.Service; b == nil || b.Name != o.service.Name || len(o.ingress.Spec.TLS) == 0 {
		t.Error("the Ingress does not serve the Service over TLS")
	}
	if o.namespace.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Error("the namespace does not enforce the restricted Pod Security Standard")
	}
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// TestDockerfile: the image is built in stages, from the Go version go.mod
// names, into a static binary on an empty base, run as a non-root user with
// the binary's own health check.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ast, err := parser.Parse(f)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	stages, _, err := instructions.Parse(ast.AST, nil)
	if err != nil {
		t.Fatalf("Dockerfile: %v", err)
	}
	if len(stages) != 2 {
		t.Fatalf("%d stages, want 2 (build, runtime)", len(stages))
	}
	build, runtime := stages[0], stages[1]

	goVersion := goModVersion(t)
	if build.BaseName != "golang:"+goVersion+"-bookworm" {
		t.Errorf("build stage from %q; go.mod asks for Go %s", build.BaseName, goVersion)
	}
	var buildCmd string
	for _, c := range build.Commands {
		if r, ok := c.(*instructions.RunCommand); ok && strings.Contains(strings.Join(r.CmdLine, " "), "go build") {
			buildCmd = strings.Join(r.CmdLine, " ")
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/camaug"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("the build command %q lacks %s", buildCmd, want)
		}
	}

	if runtime.BaseName != "scratch" {
		t.Errorf("runtime stage from %q, want scratch (nothing but the binary)", runtime.BaseName)
	}
	var user, entrypoint string
	var health *instructions.HealthCheckCommand
	var copiedFromBuild []string
	for _, c := range runtime.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.EntrypointCommand:
			entrypoint = strings.Join(c.CmdLine, " ")
		case *instructions.HealthCheckCommand:
			health = c
		case *instructions.CopyCommand:
			if c.From == build.Name {
				copiedFromBuild = append(copiedFromBuild, c.DestPath)
			}
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("USER %q: the image must run as a non-root user", user)
	}
	if entrypoint != "/usr/local/bin/camaug" {
		t.Errorf("ENTRYPOINT %q", entrypoint)
	}
	if health == nil || strings.Join(health.Health.Test, " ") != "CMD /usr/local/bin/camaug healthcheck" || health.Health.Timeout == 0 {
		t.Errorf("HEALTHCHECK %+v, want the binary's `healthcheck` with a timeout", health)
	}
	for _, want := range []string{"/usr/local/bin/camaug", "/etc/ssl/certs/ca-certificates.crt"} {
		if !slices.Contains(copiedFromBuild, want) {
			t.Errorf("the runtime stage does not copy %s from the build stage", want)
		}
	}
}

func goModVersion(t *testing.T) string {
	t.Helper()
	f, err := os.Open("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod names no Go version")
	return ""
}

// TestStaticBinary builds the binary with CGO off, as the Dockerfile does,
// and checks it needs no dynamic loader: on an empty base image a
// dynamically linked binary would not start at all. (Without the
// Dockerfile's -trimpath and -ldflags, which do not change linking, so the
// build shares its cache with cmd/camaug's tests that build the binary.)
func TestStaticBinary(t *testing.T) {
	out := filepath.Join(t.TempDir(), "camaug")
	cmd := exec.Command("go", "build", "-o", out, "../cmd/camaug")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, b)
	}
	bin, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer bin.Close()
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP {
			t.Fatal("the binary asks for a dynamic loader: it cannot run on the scratch image")
		}
	}
	if libs, _ := bin.ImportedLibraries(); len(libs) != 0 {
		t.Fatalf("the binary links %v", libs)
	}
}

// TestEnvironmentNamesAreDocumented: every CAMAUG_ variable the deployment
// files set is one README.md documents, so a misspelt name (silently
// ignored by the service) fails here.
func TestEnvironmentNamesAreDocumented(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	name := regexp.MustCompile(`\b(CAMAUG_[A-Z0-9_]+|MONGODB_URI)\b`)
	documented := map[string]bool{}
	for _, m := range name.FindAllString(string(readme), -1) {
		documented[m] = true
	}
	files := []string{"compose.yaml", "camaug.env", "k8s/configmap.yaml", "k8s/secret.example.yaml", "Dockerfile"}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			// Only names being set (KEY= or KEY:), not mentions in comments.
			trimmed := strings.TrimLeft(line, " #\t")
			m := regexp.MustCompile(`^(CAMAUG_[A-Z0-9_]+|MONGODB_URI)\s*[:=]`).FindStringSubmatch(trimmed)
			if m != nil && !documented[m[1]] {
				t.Errorf("%s sets %s, which README.md does not document", f, m[1])
			}
		}
	}
}
