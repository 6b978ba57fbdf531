package main

import (
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/ecr"
	_ "github.com/aws/aws-sdk-go-v2/service/eks"
	_ "github.com/aws/aws-sdk-go-v2/service/iam"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/open-policy-agent/opa/v1/rego"
	_ "github.com/owenrumney/go-sarif/v3/pkg/report"
	_ "github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	_ "github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	_ "github.com/spf13/cobra"
	_ "go.yaml.in/yaml/v3"
	_ "k8s.io/client-go/kubernetes"
	_ "helm.sh/helm/v3/pkg/action"
	_ "sigs.k8s.io/kustomize/api/krusty"
)

func main() {}
