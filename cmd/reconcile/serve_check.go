package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/spf13/cobra"
)

// check refuses flags of serve that contradict each other or are out of
// range.
func (f *serveFlags) check(cmd *cobra.Command) error {
	switch {
	case f.cf.dir == "" && f.git.url == "" && !f.push:
		return usageErrorf("give --config DIR (a directory) or --git URL (a repository) to follow, or --push to take the config from reconcile apply --server")
	case f.cf.dir != "" && f.git.url != "":
		return usageErrorf("--config and --git exclude each other: follow a directory or a repository")
	case f.push && (f.cf.dir != "" || f.git.url != ""):
		return usageErrorf("--push excludes --config and --git: a daemon that follows a config takes changes only from it")
	}
	if err := checkDrift(f.drift); err != nil {
		return err
	}
	if f.maxBody < 1<<10 || f.maxBody > 1<<30 {
		// A SCIM user is about 1 KB; below that every write would be 413.
		return usageErrorf("--max-body-bytes is %d: give %d (1 KiB) to %d (1 GiB)", f.maxBody, 1<<10, 1<<30)
	}
	if f.gcHeadroomMiB < 0 || f.gcHeadroomMiB > 1<<20 {
		return usageErrorf("--gc-headroom-mib is %d: give 0 to %d MiB", f.gcHeadroomMiB, 1<<20)
	}
	if err := f.cl.check(); err != nil {
		return err
	}
	return f.df.check(cmd)
}

// serveKeys are the daemon's tokens and secrets, "" for those not given.
type serveKeys struct {
	admin, plan, viewer, webhook, metrics string
}

// readKeys reads the tokens and secrets from the files the flags name,
// else from the environment. Each token has a use of its own: one token
// for two uses is refused.
func (f *serveFlags) readKeys() (serveKeys, error) {
	var k serveKeys
	var err error
	if k.admin, err = readAdminToken(f.adminTokenFile); err != nil {
		return k, err
	}
	if k.plan, err = readSecretFlag(f.planTokenFile, "RECONCILE_PLAN_TOKEN", "--plan-token-file"); err != nil {
		return k, err
	}
	if k.plan != "" && k.plan == k.admin {
		return k, usageErrorf("the plan token is the admin token: give CI a token of its own")
	}
	if k.viewer, err = readSecretFlag(f.viewerTokenFile, "RECONCILE_VIEWER_TOKEN", "--viewer-token-file"); err != nil {
		return k, err
	}
	if k.viewer != "" && (k.viewer == k.admin || k.viewer == k.plan) {
		return k, usageErrorf("the viewer token is the admin or plan token: give the console's readers a token of their own")
	}
	if k.webhook, err = readSecretFlag(f.webhookFile, "RECONCILE_WEBHOOK_SECRET", "--webhook-secret-file"); err != nil {
		return k, err
	}
	if k.metrics, err = readSecretFlag(f.metricsTokenFile, "RECONCILE_METRICS_TOKEN", "--metrics-token-file"); err != nil {
		return k, err
	}
	if k.metrics != "" && (k.metrics == k.admin || k.metrics == k.plan || k.metrics == k.viewer) {
		return k, usageErrorf("the metrics token is the admin, plan or viewer token: give Prometheus a token of its own")
	}
	return k, nil
}

func readAdminToken(file string) (string, error) {
	return readSecretFlag(file, "RECONCILE_ADMIN_TOKEN", "--admin-token-file")
}

// readSecretFlag reads a secret from the file a flag names, else from an
// environment variable; "" when neither is set.
func readSecretFlag(file, env, flag string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("reading %s: %w", flag, err)
		}
		t := strings.TrimSpace(string(b))
		if len(t) < reconcile.MinSecretLength {
			return "", fmt.Errorf("the secret in %s is %d characters; at least %d are required", file, len(t), reconcile.MinSecretLength)
		}
		return t, nil
	}
	t := strings.TrimSpace(os.Getenv(env))
	if t != "" && len(t) < reconcile.MinSecretLength {
		return "", fmt.Errorf("%s is %d characters; at least %d are required", env, len(t), reconcile.MinSecretLength)
	}
	return t, nil
}
