// Package ecrtest is a local HTTP endpoint speaking the Amazon ECR JSON 1.1
// protocol (POST /, X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Op>,
// application/x-amz-json-1.1) for the operations kscan uses, so tests drive
// the real AWS SDK client against it: DescribeRepositories with
// maxResults/nextToken pagination, GetRepositoryPolicy and
// GetLifecyclePolicy with their NotFound exceptions, and
// AccessDeniedException for denied actions. Errors carry __type in the body
// and X-Amzn-ErrorType, as AWS sends them.
package ecrtest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
)

const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// Repository is one repository as the API describes it.
type Repository struct {
	Name            string
	RegistryID      string
	Region          string
	Mutability      string // MUTABLE or IMMUTABLE
	ScanOnPush      bool
	EncryptionType  string // AES256 or KMS
	KMSKey          string
	CreatedAt       int64 // epoch seconds
	PolicyText      string
	LifecyclePolicy string
}

// URI is the repository URI, as ECR builds it.
func (r Repository) URI() string {
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", r.RegistryID, r.Region, r.Name)
}

// ARN is the repository ARN.
func (r Repository) ARN() string {
	return fmt.Sprintf("arn:aws:ecr:%s:%s:repository/%s", r.Region, r.RegistryID, r.Name)
}

// Server is the endpoint. Configure fields before the first request.
type Server struct {
	*httptest.Server
	Repositories []Repository
	// PageSize is the default page size of DescribeRepositories (ECR's
	// default is 100; a small one exercises pagination).
	PageSize int
	// Deny answers these operations (e.g. "GetRepositoryPolicy") with
	// AccessDeniedException; DenyRepo limits that to one repository name.
	Deny     map[string]bool
	DenyRepo string
	// AuthToken is the registry password GetAuthorizationToken hands out.
	AuthToken string

	mu       sync.Mutex
	calls    map[string]int
	unsigned int
}

// New starts a server on loopback.
func New(repos []Repository) *Server {
	s := &Server{Repositories: repos, PageSize: 100, Deny: map[string]bool{}, calls: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Calls is how many requests an operation received.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Unsigned counts requests without a SigV4 Authorization header.
func (s *Server) Unsigned() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unsigned
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	if r.Method != http.MethodPost || !strings.HasPrefix(target, targetPrefix) {
		writeErr(w, http.StatusBadRequest, "UnknownOperationException", "unsupported request")
		return
	}
	op := strings.TrimPrefix(target, targetPrefix)
	s.mu.Lock()
	s.calls[op]++
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 ") {
		s.unsigned++
	}
	s.mu.Unlock()
	var in struct {
		RepositoryName string   `json:"repositoryName"`
		RegistryID     string   `json:"registryId"`
		MaxResults     int      `json:"maxResults"`
		NextToken      string   `json:"nextToken"`
		RegistryIDs    []string `json:"registryIds"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeErr(w, http.StatusBadRequest, "SerializationException", "invalid JSON body")
		return
	}
	if s.Deny[op] && (s.DenyRepo == "" || s.DenyRepo == in.RepositoryName) {
		writeErr(w, http.StatusBadRequest, "AccessDeniedException",
			fmt.Sprintf("User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:%s on resource: %s because no identity-based policy allows the ecr:%s action", op, in.RepositoryName, op))
		return
	}
	switch op {
	case "DescribeRepositories":
		repos := append([]Repository(nil), s.Repositories...)
		sort.Slice(repos, func(i, j int) bool { return repos[i].Name < repos[j].Name })
		size := in.MaxResults
		if size <= 0 {
			size = s.PageSize
		}
		start := 0
		if in.NextToken != "" {
			n, err := strconv.Atoi(strings.TrimPrefix(in.NextToken, "page-"))
			if err != nil || n < 0 || n > len(repos) {
				writeErr(w, http.StatusBadRequest, "InvalidParameterException", "Invalid parameter at 'nextToken' failed to satisfy constraint: 'invalid token'")
				return
			}
			start = n
		}
		end := min(start+size, len(repos))
		out := map[string]any{"repositories": describe(repos[start:end])}
		if end < len(repos) {
			out["nextToken"] = fmt.Sprintf("page-%d", end)
		}
		writeJSON(w, out)
	case "GetRepositoryPolicy", "GetLifecyclePolicy":
		repo, ok := s.find(in.RepositoryName)
		if !ok {
			writeErr(w, http.StatusBadRequest, "RepositoryNotFoundException",
				fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", in.RepositoryName, in.RegistryID))
			return
		}
		if op == "GetRepositoryPolicy" {
			if repo.PolicyText == "" {
				writeErr(w, http.StatusBadRequest, "RepositoryPolicyNotFoundException",
					fmt.Sprintf("Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", repo.Name, repo.RegistryID))
				return
			}
			writeJSON(w, map[string]any{"registryId": repo.RegistryID, "repositoryName": repo.Name, "policyText": repo.PolicyText})
			return
		}
		if repo.LifecyclePolicy == "" {
			writeErr(w, http.StatusBadRequest, "LifecyclePolicyNotFoundException",
				fmt.Sprintf("Lifecycle policy does not exist for the repository with name '%s' in the registry with id '%s'", repo.Name, repo.RegistryID))
			return
		}
		writeJSON(w, map[string]any{"registryId": repo.RegistryID, "repositoryName": repo.Name, "lifecyclePolicyText": repo.LifecyclePolicy, "lastEvaluatedAt": 1.7e9})
	case "GetAuthorizationToken":
		// The password is AuthToken; the token is base64 of "AWS:<password>".
		if len(in.RegistryIDs) == 0 {
			in.RegistryIDs = []string{"123456789012"}
		}
		writeJSON(w, map[string]any{"authorizationData": []map[string]any{{
			"authorizationToken": base64.StdEncoding.EncodeToString([]byte("AWS:" + s.AuthToken)),
			"expiresAt":          4102444800, // 2100-01-01
			"proxyEndpoint":      "https://" + in.RegistryIDs[0] + ".dkr.ecr.eu-west-1.amazonaws.com",
		}}})
	default:
		writeErr(w, http.StatusBadRequest, "UnknownOperationException", "unsupported operation "+op)
	}
}

func (s *Server) find(name string) (Repository, bool) {
	for _, r := range s.Repositories {
		if r.Name == name {
			return r, true
		}
	}
	return Repository{}, false
}

func describe(repos []Repository) []map[string]any {
	out := make([]map[string]any, 0, len(repos))
	for _, r := range repos {
		enc := map[string]any{"encryptionType": r.EncryptionType}
		if r.EncryptionType == "" {
			enc["encryptionType"] = "AES256"
		}
		if r.KMSKey != "" {
			enc["kmsKey"] = r.KMSKey
		}
		m := r.Mutability
		if m == "" {
			m = "MUTABLE"
		}
		out = append(out, map[string]any{
			"repositoryArn":              r.ARN(),
			"registryId":                 r.RegistryID,
			"repositoryName":             r.Name,
			"repositoryUri":              r.URI(),
			"createdAt":                  r.CreatedAt, // JSON 1.1 timestamps are epoch seconds
			"imageTagMutability":         m,
			"imageScanningConfiguration": map[string]any{"scanOnPush": r.ScanOnPush},
			"encryptionConfiguration":    enc,
		})
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	_ = json.NewEncoder(w).Encode(v)
}

func writeErr(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.Header().Set("X-Amzn-RequestId", "00000000-0000-0000-0000-000000000000")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": typ, "message": msg})
}
