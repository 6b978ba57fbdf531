package ecr

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/kscan-io/kscan/graph"
)

// LiveOptions configure reading ECR through the API (--ecr).
type LiveOptions struct {
	// Region of the repositories (--ecr-region; default: the AWS config's).
	Region string
}

// awsConfig loads the default AWS credential chain, in opts.Region when set.
func awsConfig(ctx context.Context, opts LiveOptions) (aws.Config, error) {
	var load []func(*config.LoadOptions) error
	if opts.Region != "" {
		load = append(load, config.WithRegion(opts.Region))
	}
	return config.LoadDefaultConfig(ctx, load...)
}

// CollectLive lists the repositories of the account with the default AWS
// credential chain (Collect on a real client).
func CollectLive(ctx context.Context, opts LiveOptions, g *graph.Graph) error {
	cfg, err := awsConfig(ctx, opts)
	if err != nil {
		return fmt.Errorf("AWS config: %w", err)
	}
	return Collect(ctx, ecr.NewFromConfig(cfg), g)
}

// LiveKeychain issues ECR registry credentials with the AWS config of opts,
// a client per registry region.
func LiveKeychain(ctx context.Context, opts LiveOptions) (authn.Keychain, error) {
	cfg, err := awsConfig(ctx, opts)
	if err != nil {
		return nil, err
	}
	return Keychain(ctx, func(r string) AuthAPI {
		return ecr.NewFromConfig(cfg, func(o *ecr.Options) { o.Region = r })
	}), nil
}
