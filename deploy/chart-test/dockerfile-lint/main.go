// Command dockerfile-lint checks a Dockerfile the way `docker build --check` does, without a Docker engine:
// BuildKit's own Dockerfile frontend (github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb, the code
// behind --check) parses every instruction and flag, resolves stages, build args and variables, and runs its
// lint rules (https://docs.docker.com/reference/build-checks/) over all stages. Base images are not pulled:
// each resolves to an empty linux image config, so only variables the Dockerfile itself defines (and PATH)
// count as defined. CopyIgnoredFile needs a build context and is not checked here.
//
// Usage: dockerfile-lint [--build-arg NAME=VALUE]... Dockerfile
// Prints each warning as `docker build --check` does; exits 1 on any warning or parse error.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/opencontainers/go-digest"
)

// offlineResolver answers every base image with an empty linux/amd64 config instead of asking a registry.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(
	_ context.Context, ref string, _ sourceresolver.Opt,
) (string, digest.Digest, []byte, error) {
	config, err := json.Marshal(map[string]any{
		"architecture": "amd64",
		"os":           "linux",
		"config": map[string]any{
			"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{}},
	})
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(config), config, nil
}

type buildArgs map[string]string

func (b buildArgs) String() string { return fmt.Sprint(map[string]string(b)) }

func (b buildArgs) Set(value string) error {
	name, val, ok := strings.Cut(value, "=")
	if !ok || name == "" {
		return fmt.Errorf("expected NAME=VALUE, got %q", value)
	}
	b[name] = val
	return nil
}

func main() {
	args := buildArgs{}
	flag.Var(args, "build-arg", "a build argument, NAME=VALUE (repeatable)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: dockerfile-lint [--build-arg NAME=VALUE]... Dockerfile")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	path := flag.Arg(0)
	dt, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(2)
	}

	name := filepath.Base(path)
	sourceMap := llb.NewSourceMap(nil, name, "Dockerfile", dt)
	sourceMap.Definition = &llb.Definition{} // no build context: the map only names the file in messages
	opt := dockerfile2llb.ConvertOpt{
		SourceMap:    sourceMap,
		MetaResolver: offlineResolver{},
	}
	opt.BuildArgs = args
	results, err := dockerfile2llb.DockerfileLint(context.Background(), dt, opt)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(2)
	}
	if err := results.PrintTo(os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "dockerfile-lint:", err)
		os.Exit(2)
	}
	if results.Error != nil {
		fmt.Fprintf(os.Stdout, "\nERROR: %s\n", name)
		results.PrintErrorTo(os.Stdout, nil)
		os.Exit(1)
	}
	if n := len(results.Warnings); n > 0 {
		fmt.Fprintf(os.Stdout, "\n%s: %d lint warning(s)\n", name, n)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stdout, "%s: no lint warnings\n", name)
}
