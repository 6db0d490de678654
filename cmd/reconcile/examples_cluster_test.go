package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"
)

// The cluster example (examples/cluster) is checked for what can be
// checked without a Kubernetes cluster or systemd: the flags it gives
// serve are serve's and pass its checks, the manifests hang together, and
// (examples_cluster_systemd_test.go) the systemd units run a cluster.

// checkServeArgs parses args (after "serve") as serve's flags and runs
// serve's checks of them, as the daemon does before it starts.
func checkServeArgs(args []string) (*serveFlags, error) {
	if len(args) == 0 || args[0] != "serve" {
		return nil, fmt.Errorf("want serve and its flags, got %q", args)
	}
	var f serveFlags
	cmd := &cobra.Command{Use: "serve"}
	cmd.SetOut(io.Discard)
	f.register(cmd)
	if err := cmd.ParseFlags(args[1:]); err != nil {
		return nil, err
	}
	if rest := cmd.Flags().Args(); len(rest) > 0 {
		return nil, fmt.Errorf("arguments that are no flags: %q", rest)
	}
	return &f, f.check(cmd)
}

// k8sDoc is a Kubernetes object of the example: its spec is decoded by
// kind.
type k8sDoc struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec yaml.Node         `yaml:"spec"`
}

type k8sPort struct {
	Name          string `yaml:"name"`
	Port          int    `yaml:"port"`
	ContainerPort int    `yaml:"containerPort"`
	TargetPort    string `yaml:"targetPort"`
}

type k8sService struct {
	Type                     string            `yaml:"type"`
	ClusterIP                string            `yaml:"clusterIP"`
	PublishNotReadyAddresses bool              `yaml:"publishNotReadyAddresses"`
	SessionAffinity          string            `yaml:"sessionAffinity"`
	Selector                 map[string]string `yaml:"selector"`
	Ports                    []k8sPort         `yaml:"ports"`
}

type k8sSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type k8sPDB struct {
	MaxUnavailable *int        `yaml:"maxUnavailable"`
	MinAvailable   *int        `yaml:"minAvailable"`
	Selector       k8sSelector `yaml:"selector"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path   string `yaml:"path"`
		Port   string `yaml:"port"`
		Scheme string `yaml:"scheme"`
	} `yaml:"httpGet"`
}

type k8sContainer struct {
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name string `yaml:"name"`
	} `yaml:"env"`
	Ports          []k8sPort `yaml:"ports"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type k8sStatefulSet struct {
	ServiceName         string      `yaml:"serviceName"`
	Replicas            int         `yaml:"replicas"`
	PodManagementPolicy string      `yaml:"podManagementPolicy"`
	Selector            k8sSelector `yaml:"selector"`
	Template            struct {
		Metadata struct {
			Labels map[string]string `yaml:"labels"`
		} `yaml:"metadata"`
		Spec struct {
			Containers []k8sContainer `yaml:"containers"`
			Volumes    []struct {
				Name   string `yaml:"name"`
				Secret *struct {
					SecretName string `yaml:"secretName"`
				} `yaml:"secret"`
			} `yaml:"volumes"`
		} `yaml:"spec"`
	} `yaml:"template"`
	VolumeClaimTemplates []struct {
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	} `yaml:"volumeClaimTemplates"`
}

// readK8s reads the documents of a manifest, by kind and name.
func readK8s(t *testing.T, path string) map[string]k8sDoc {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	docs := map[string]k8sDoc{}
	dec := yaml.NewDecoder(f)
	for {
		var d k8sDoc
		err := dec.Decode(&d)
		if err == io.EOF {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if d.Kind == "" {
			continue // an empty document
		}
		docs[d.Kind+"/"+d.Metadata.Name] = d
	}
}

func specOf[T any](t *testing.T, docs map[string]k8sDoc, key string) T {
	t.Helper()
	var spec T
	d, ok := docs[key]
	if !ok {
		t.Fatalf("no %s in the manifest", key)
	}
	if err := d.Spec.Decode(&spec); err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return spec
}

// k8sVars expands $(NAME) in a container's argument as Kubernetes does,
// from vars; a name not in vars is an error, as it would stay as it is.
func k8sVars(arg string, vars map[string]string) (string, error) {
	var missing []string
	out := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`).ReplaceAllStringFunc(arg, func(m string) string {
		name := m[2 : len(m)-1]
		v, ok := vars[name]
		if !ok {
			missing = append(missing, name)
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s uses $(%s), which the container's env does not set", arg, strings.Join(missing, "), $("))
	}
	return out, nil
}

// TestClusterExampleKubernetes checks the StatefulSet of the cluster
// example: its container runs serve with flags serve takes, as pods
// named by the StatefulSet, each joining the others through the headless
// Service; the probes, ports, volumes, Services and disruption budget
// agree with those flags; the config it mounts is valid.
func TestClusterExampleKubernetes(t *testing.T) {
	docs := readK8s(t, "../../examples/cluster/kubernetes/reconcile.yaml")
	sts := specOf[k8sStatefulSet](t, docs, "StatefulSet/reconcile")
	peers := specOf[k8sService](t, docs, "Service/"+sts.ServiceName)
	scim := specOf[k8sService](t, docs, "Service/reconcile")
	pdb := specOf[k8sPDB](t, docs, "PodDisruptionBudget/reconcile")
	labels := sts.Template.Metadata.Labels

	if sts.Replicas != 3 || sts.PodManagementPolicy != "Parallel" {
		t.Errorf("StatefulSet: %d replicas, podManagementPolicy %q; want 3, Parallel (the pods form the cluster before any is ready)", sts.Replicas, sts.PodManagementPolicy)
	}
	if !matches(sts.Selector.MatchLabels, labels) || !matches(peers.Selector, labels) || !matches(scim.Selector, labels) || !matches(pdb.Selector.MatchLabels, labels) {
		t.Errorf("a selector does not select the pods (labels %v)", labels)
	}
	if peers.ClusterIP != "None" || !peers.PublishNotReadyAddresses {
		t.Errorf("Service %s: clusterIP %q, publishNotReadyAddresses %v; want a headless Service that publishes pods before they are ready", sts.ServiceName, peers.ClusterIP, peers.PublishNotReadyAddresses)
	}
	if scim.SessionAffinity != "" && scim.SessionAffinity != "None" {
		t.Errorf("the SCIM Service has session affinity %s: any node serves any request", scim.SessionAffinity)
	}
	if pdb.MaxUnavailable == nil || *pdb.MaxUnavailable != 1 {
		t.Errorf("the PodDisruptionBudget should allow one pod down at a time (maxUnavailable: 1), the others a majority")
	}

	if len(sts.Template.Spec.Containers) != 1 {
		t.Fatalf("want one container, got %d", len(sts.Template.Spec.Containers))
	}
	c := sts.Template.Spec.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	var scimPorts []string
	for _, p := range scim.Ports {
		scimPorts = append(scimPorts, p.TargetPort)
	}
	if !slices.Equal(scimPorts, []string{"https"}) {
		t.Errorf("the SCIM Service sends to %v, want the container's https port", scimPorts)
	}
	mounts := map[string]string{}
	for _, m := range c.VolumeMounts {
		mounts[m.MountPath] = m.Name
	}
	volumes := map[string]bool{}
	for _, v := range sts.Template.Spec.Volumes {
		volumes[v.Name] = true
	}
	for _, v := range sts.VolumeClaimTemplates {
		volumes[v.Metadata.Name] = true
	}
	for path, name := range mounts {
		if !volumes[name] {
			t.Errorf("%s mounts the volume %s, which the pod does not have", path, name)
		}
	}
	inMount := func(flag, file string) {
		for path := range mounts {
			if strings.HasPrefix(file, path+"/") || file == path {
				return
			}
		}
		t.Errorf("%s %s is on no volume of the pod", flag, file)
	}

	for i := range sts.Replicas {
		pod := fmt.Sprintf("reconcile-%d", i)
		vars := map[string]string{}
		for _, e := range c.Env {
			vars[e.Name] = map[string]string{"POD_NAME": pod, "POD_NAMESPACE": "idp"}[e.Name]
		}
		args := slices.Clone(c.Args)
		for j, a := range args {
			var err error
			if args[j], err = k8sVars(a, vars); err != nil {
				t.Fatal(err)
			}
		}
		f, err := checkServeArgs(args)
		if err != nil {
			t.Fatalf("pod %s: serve %q: %v", pod, args[1:], err)
		}
		cl := f.cl
		var join []string
		for j := range sts.Replicas {
			join = append(join, fmt.Sprintf("reconcile-%d.%s.idp.svc.cluster.local:%d", j, sts.ServiceName, ports["cluster"]))
		}
		switch {
		case cl.insecure || cl.tls.Cert == "":
			t.Errorf("pod %s: the cluster port runs without mutual TLS", pod)
		case cl.nodeID != pod:
			t.Errorf("pod %s: --node-id %s, want the pod's name", pod, cl.nodeID)
		case cl.bootstrapExpect != sts.Replicas:
			t.Errorf("pod %s: --bootstrap-expect %d for %d replicas", pod, cl.bootstrapExpect, sts.Replicas)
		case !slices.Equal(cl.join, join):
			t.Errorf("pod %s: --join %v, want every pod through the headless Service: %v", pod, cl.join, join)
		case cl.advertise != join[i]:
			t.Errorf("pod %s: --raft-advertise %s, want its name in the headless Service, %s", pod, cl.advertise, join[i])
		case !strings.HasSuffix(cl.listen, fmt.Sprintf(":%d", ports["cluster"])):
			t.Errorf("pod %s: --raft-listen %s is not the container's cluster port %d", pod, cl.listen, ports["cluster"])
		case !strings.HasSuffix(f.listen, fmt.Sprintf(":%d", ports["https"])) || f.tlsCert == "":
			t.Errorf("pod %s: --listen %s (TLS: %v) is not the container's https port %d", pod, f.listen, f.tlsCert != "", ports["https"])
		}
		for flag, file := range map[string]string{"--cluster-tls-cert": cl.tls.Cert, "--cluster-tls-key": cl.tls.Key, "--cluster-tls-ca": cl.tls.CA,
			"--tls-cert": f.tlsCert, "--tls-key": f.tlsKey, "--config": f.cf.dir, "--data-dir": f.df.dir, "--admin-token-file": f.adminTokenFile} {
			inMount(flag, file)
		}
	}

	for name, p := range map[string]*k8sProbe{"readinessProbe": c.ReadinessProbe, "livenessProbe": c.LivenessProbe} {
		want := map[string]string{"readinessProbe": "/readyz", "livenessProbe": "/healthz"}[name]
		if p == nil || p.HTTPGet.Path != want || p.HTTPGet.Port != "https" || p.HTTPGet.Scheme != "HTTPS" {
			t.Errorf("%s: %+v; want GET %s on the https port, over HTTPS", name, p, want)
		}
	}

	cm, ok := docs["ConfigMap/reconcile-config"]
	if !ok || cm.Data["config.yaml"] == "" {
		t.Fatal("no config in the ConfigMap reconcile-config")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cm.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if code := run([]string{"validate", "--config", dir}, strings.NewReader(""), &out, &out); code != 0 {
		t.Errorf("the ConfigMap's config does not validate:\n%s", out.String())
	}
}

// matches reports whether a selector selects labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
