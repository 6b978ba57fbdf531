package iam

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/kscan-io/kscan/graph"
)

// LiveOptions configures a live IAM (and EKS) collection. Credentials come
// from the SDK's default chain (environment, shared config and profile,
// SSO, IMDS…); AWS_ENDPOINT_URL_IAM and AWS_ENDPOINT_URL_EKS are honoured.
type LiveOptions struct {
	Profile string
	Region  string
	// EKSCluster, when set, also reads the cluster's OIDC issuer and its
	// Pod Identity associations.
	EKSCluster string
	// CredentialReport reads the IAM credential report for hygiene checks.
	CredentialReport bool
	// Progress, when not nil, gets a progress line (a terminal).
	Progress io.Writer
	// RequestTimeout bounds each HTTP request (default 60s).
	RequestTimeout time.Duration
	// MaxBackoff caps the wait between retries (default: the SDK's, 20s).
	MaxBackoff time.Duration
}

const maxAttempts = 6

func loadConfig(ctx context.Context, opts LiveOptions) (aws.Config, error) {
	timeout := opts.RequestTimeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	lo := []func(*config.LoadOptions) error{
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTimeout(timeout)),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = maxAttempts
				if opts.MaxBackoff > 0 {
					o.MaxBackoff = opts.MaxBackoff
				}
			})
		}),
	}
	if opts.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(opts.Profile))
	}
	if opts.Region != "" {
		lo = append(lo, config.WithRegion(opts.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return cfg, fmt.Errorf("AWS configuration: %v", err)
	}
	if cfg.Region == "" {
		// IAM is global and signs with us-east-1; EKS needs a real region,
		// which the user gives with --aws-region or AWS_REGION.
		cfg.Region = "us-east-1"
	}
	return cfg, nil
}

var awsSource = graph.Source{Kind: graph.SourceAWS}

// apiError renders an AWS error clearly, saying which permission is missing
// on access denied. It never includes credentials (AWS messages carry
// none, and the SDK's request details are left out).
func apiError(op, permission string, err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code := ae.ErrorCode()
		if strings.Contains(code, "AccessDenied") || code == "UnauthorizedOperation" {
			return fmt.Sprintf("%s: access denied; the scanning identity needs %s (AWS said: %s)", op, permission, ae.ErrorMessage())
		}
		return fmt.Sprintf("%s failed: %s: %s", op, code, ae.ErrorMessage())
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return fmt.Sprintf("%s failed: %v", op, oe.Unwrap())
	}
	return fmt.Sprintf("%s failed: %v", op, err)
}

// CollectLive reads the account's IAM configuration through the IAM API.
// Failures of one call are recorded in g as input errors (the scan is then
// incomplete) and the rest of the collection goes on; the returned error is
// only for a configuration that cannot be loaded at all.
func CollectLive(ctx context.Context, opts LiveOptions, g *graph.Graph) error {
	cfg, err := loadConfig(ctx, opts)
	if err != nil {
		return err
	}
	client := iam.NewFromConfig(cfg)
	users := collectAuthDetailsLive(ctx, client, opts.Progress, g)
	// The report is only joined to users: without them it is not needed.
	if opts.CredentialReport && len(users) > 0 {
		collectCredentialReport(ctx, client, users, g)
	}
	for _, n := range users {
		g.AddNode(n)
	}
	if opts.EKSCluster != "" {
		collectEKS(ctx, eks.NewFromConfig(cfg), opts.EKSCluster, g)
	}
	return nil
}

// toEntry turns an SDK detail into the authorization-details JSON shape
// (the SDK's field names are AWS's), so live and offline share NewNode.
func toEntry(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(raw, &m)
	return m, err
}

// collectAuthDetailsLive pages through GetAccountAuthorizationDetails. Users
// are returned, not added, so the credential report can be joined first.
func collectAuthDetailsLive(ctx context.Context, client *iam.Client, progress io.Writer, g *graph.Graph) map[string]*graph.Node {
	users := map[string]*graph.Node{}
	counts := [4]int{}
	p := iam.NewGetAccountAuthorizationDetailsPaginator(client, &iam.GetAccountAuthorizationDetailsInput{})
	add := func(typ string, v any) {
		e, err := toEntry(v)
		if err == nil {
			var n *graph.Node
			if n, err = NewNode(typ, e, awsSource); err == nil {
				if typ == TypeUser {
					users[n.ID] = n
				} else {
					g.AddNode(n)
				}
				return
			}
		}
		g.AddError(graph.InputError{Source: awsSource, Message: fmt.Sprintf("IAM %s: %v", typ, err)})
	}
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			g.AddError(graph.InputError{Source: awsSource, Message: apiError("IAM GetAccountAuthorizationDetails", "iam:GetAccountAuthorizationDetails", err)})
			break
		}
		for _, u := range page.UserDetailList {
			add(TypeUser, u)
		}
		for _, x := range page.GroupDetailList {
			add(TypeGroup, x)
		}
		for _, x := range page.RoleDetailList {
			add(TypeRole, x)
		}
		for _, x := range page.Policies {
			add(TypePolicy, managedDetail(x))
		}
		counts[0] += len(page.UserDetailList)
		counts[1] += len(page.GroupDetailList)
		counts[2] += len(page.RoleDetailList)
		counts[3] += len(page.Policies)
		if progress != nil {
			fmt.Fprintf(progress, "\rIAM: %d users, %d groups, %d roles, %d policies", counts[0], counts[1], counts[2], counts[3])
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	return users
}

// managedDetail keeps only the default version's document of a managed
// policy: the others do not apply.
func managedDetail(x iamtypes.ManagedPolicyDetail) map[string]any {
	e, _ := toEntry(x)
	if e == nil {
		e = map[string]any{}
	}
	for _, v := range x.PolicyVersionList {
		if v.IsDefaultVersion && v.Document != nil {
			e["Document"] = *v.Document
		}
	}
	delete(e, "PolicyVersionList")
	return e
}

// collectCredentialReport generates and reads the credential report and
// puts each user's row on the user's node as CredentialReport.
func collectCredentialReport(ctx context.Context, client *iam.Client, users map[string]*graph.Node, g *graph.Graph) {
	deadline, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		out, err := client.GenerateCredentialReport(deadline, &iam.GenerateCredentialReportInput{})
		if err != nil {
			g.AddError(graph.InputError{Source: awsSource, Message: apiError("IAM GenerateCredentialReport", "iam:GenerateCredentialReport", err)})
			return
		}
		if out.State == iamtypes.ReportStateTypeComplete {
			break
		}
		select {
		case <-deadline.Done():
			g.AddError(graph.InputError{Source: awsSource, Message: "IAM credential report: not ready after 2 minutes"})
			return
		case <-time.After(2 * time.Second):
		}
	}
	rep, err := client.GetCredentialReport(deadline, &iam.GetCredentialReportInput{})
	if err != nil {
		g.AddError(graph.InputError{Source: awsSource, Message: apiError("IAM GetCredentialReport", "iam:GetCredentialReport", err)})
		return
	}
	generated := ""
	if rep.GeneratedTime != nil {
		generated = rep.GeneratedTime.UTC().Format(time.RFC3339)
	}
	rows, err := ParseCredentialReport(rep.Content, generated)
	if err != nil {
		g.AddError(graph.InputError{Source: awsSource, Message: "IAM credential report: " + err.Error()})
		return
	}
	for arn, row := range rows {
		if n, ok := users[arn]; ok {
			n.Object["CredentialReport"] = row
		}
	}
}

// credentialColumns are the credential report columns kept on a user node
// (no secrets are in the report; these are what the hygiene rules read).
var credentialColumns = []string{"password_enabled", "password_last_used", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date"}

// ParseCredentialReport reads the CSV of GetCredentialReport into rows by
// user ARN.
func ParseCredentialReport(content []byte, generated string) (map[string]map[string]any, error) {
	r := csv.NewReader(bytes.NewReader(content))
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("reading CSV header: %v", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	if _, ok := col["arn"]; !ok {
		return nil, errors.New("CSV has no arn column")
	}
	out := map[string]map[string]any{}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading CSV: %v", err)
		}
		row := map[string]any{}
		for _, c := range credentialColumns {
			if i, ok := col[c]; ok && i < len(rec) {
				row[c] = rec[i]
			}
		}
		if generated != "" {
			row["generated_time"] = generated
		}
		out[rec[col["arn"]]] = row
	}
	return out, nil
}

// collectEKS reads the cluster's OIDC issuer and its Pod Identity
// associations.
func collectEKS(ctx context.Context, client *eks.Client, cluster string, g *graph.Graph) {
	dc, err := client.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		g.AddError(graph.InputError{Source: awsSource, Resource: cluster, Message: apiError("EKS DescribeCluster", "eks:DescribeCluster", err)})
	} else if dc.Cluster != nil {
		c := map[string]any{"arn": aws.ToString(dc.Cluster.Arn), "name": aws.ToString(dc.Cluster.Name)}
		if dc.Cluster.Identity != nil && dc.Cluster.Identity.Oidc != nil {
			c["identity"] = map[string]any{"oidc": map[string]any{"issuer": aws.ToString(dc.Cluster.Identity.Oidc.Issuer)}}
		}
		if n, err := ClusterNode(c, awsSource); err == nil {
			g.AddNode(n)
		}
	}
	p := eks.NewListPodIdentityAssociationsPaginator(client, &eks.ListPodIdentityAssociationsInput{ClusterName: aws.String(cluster)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			g.AddError(graph.InputError{Source: awsSource, Resource: cluster, Message: apiError("EKS ListPodIdentityAssociations", "eks:ListPodIdentityAssociations", err)})
			return
		}
		for _, s := range page.Associations {
			d, err := client.DescribePodIdentityAssociation(ctx, &eks.DescribePodIdentityAssociationInput{
				ClusterName: aws.String(cluster), AssociationId: s.AssociationId})
			if err != nil {
				g.AddError(graph.InputError{Source: awsSource, Resource: aws.ToString(s.AssociationArn), Message: apiError("EKS DescribePodIdentityAssociation", "eks:DescribePodIdentityAssociation", err)})
				continue
			}
			a := d.Association
			if a == nil {
				continue
			}
			m := map[string]any{
				"associationArn": aws.ToString(a.AssociationArn), "associationId": aws.ToString(a.AssociationId),
				"clusterName": aws.ToString(a.ClusterName), "namespace": aws.ToString(a.Namespace),
				"serviceAccount": aws.ToString(a.ServiceAccount), "roleArn": aws.ToString(a.RoleArn),
				"targetRoleArn": aws.ToString(a.TargetRoleArn),
			}
			n, err := AssociationNode(m, awsSource)
			if err != nil {
				g.AddError(graph.InputError{Source: awsSource, Message: "EKS pod identity association: " + err.Error()})
				continue
			}
			g.AddNode(n)
		}
	}
}
