package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/kscan-io/kscan/collectors/iam"
	"github.com/kscan-io/kscan/graph"
	"github.com/kscan-io/kscan/scan"
)

// iamFlags are the flags of the AWS IAM source (live API or offline files).
// Offline files given as scan paths are recognised by content without a flag.
type iamFlags struct {
	live             bool
	profile          string
	region           string
	files            []string
	eksCluster       string
	credentialReport bool
}

func (a *iamFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&a.live, "aws", false, "read AWS IAM users, groups, roles and policies through the IAM API (default credential chain; AWS_ENDPOINT_URL_IAM honoured)")
	fs.StringVar(&a.profile, "aws-profile", "", "AWS shared-config profile for --aws")
	fs.StringVar(&a.region, "aws-region", "", "AWS region for --aws and --eks-cluster (IAM itself is global)")
	fs.StringArrayVar(&a.files, "iam-file", nil, "JSON of `aws iam get-account-authorization-details` (or of EKS pod identity associations); repeatable")
	fs.StringVar(&a.eksCluster, "eks-cluster", "", "with --aws: also read this EKS cluster's OIDC issuer and Pod Identity associations")
	fs.BoolVar(&a.credentialReport, "aws-credential-report", true, "with --aws: read the IAM credential report for the MFA and access-key checks")
}

func (a *iamFlags) collectors(_ context.Context, f *scanFlags) ([]scan.Collector, error) {
	var out []scan.Collector
	if len(a.files) > 0 {
		files := append([]string(nil), a.files...)
		out = append(out, scan.Source("iam", iam.CollectFiles, iam.FileOptions{Paths: files, MaxFileSize: f.maxFileSize}))
	}
	if !a.live && a.eksCluster == "" {
		if a.profile != "" || a.region != "" {
			return nil, errors.New("--aws-profile and --aws-region need --aws")
		}
		return out, nil
	}
	opts := iam.LiveOptions{Profile: a.profile, Region: a.region, EKSCluster: a.eksCluster, CredentialReport: a.credentialReport}
	if !f.quiet && term.IsTerminal(int(os.Stderr.Fd())) {
		opts.Progress = os.Stderr
	}
	out = append(out, scan.Source(string(graph.SourceAWS), iam.CollectLive, opts))
	return out, nil
}
