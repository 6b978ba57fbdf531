//go:build deps

// Package deps pins modules that later collectors use, so that go mod tidy
// keeps them at the versions known to resolve here. It is never built.
package deps

import (
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/ecr"
	_ "github.com/aws/aws-sdk-go-v2/service/eks"
	_ "github.com/aws/aws-sdk-go-v2/service/iam"
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	_ "github.com/pulumi/pulumi/sdk/v3/proto/go"
	_ "helm.sh/helm/v3/pkg/action"
	_ "k8s.io/api/core/v1"
	_ "k8s.io/apimachinery/pkg/apis/meta/v1"
	_ "k8s.io/client-go/dynamic"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/metadata"
	_ "sigs.k8s.io/kustomize/api/krusty"
)
