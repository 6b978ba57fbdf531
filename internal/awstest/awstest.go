// Package awstest is a local HTTP endpoint that speaks the parts of the AWS
// IAM Query protocol and the EKS REST-JSON protocol kscan uses, for tests
// that drive the real AWS SDK client against it (AWS_ENDPOINT_URL_IAM,
// AWS_ENDPOINT_URL_EKS). Responses follow the shapes AWS documents: XML
// with <member> lists, URL-encoded policy documents, IsTruncated/Marker
// pagination, and <ErrorResponse> errors (Throttling, AccessDenied).
package awstest

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const iamNS = "https://iam.amazonaws.com/doc/2010-05-08/"

// Server is the fake endpoint's state. Configure the fields before the
// first request.
type Server struct {
	*httptest.Server

	// Entries of the authorization details, in the JSON shape of
	// `aws iam get-account-authorization-details` (documents as objects).
	Users, Groups, Roles, Policies []map[string]any
	// PageSize is how many entries (of all lists together) one page holds.
	PageSize int
	// Throttle answers this many GetAccountAuthorizationDetails requests
	// with a Throttling error before serving them (the SDK must retry).
	Throttle int
	// Deny answers these actions with AccessDenied.
	Deny map[string]bool
	// CredentialReport is the CSV served by GetCredentialReport ("" means
	// the report does not exist).
	CredentialReport string
	ReportTime       time.Time

	// EKS: clusters by name with their OIDC issuer, and pod identity
	// associations (clusterName, namespace, serviceAccount, roleArn,
	// associationArn, associationId).
	Clusters     map[string]string
	Associations []map[string]any

	mu         sync.Mutex
	requests   map[string]int
	unsigned   int
	credential string
}

// Credential is the Credential scope of the last signed request
// (AKID/date/region/service/aws4_request): which key and region signed it.
func (s *Server) Credential() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.credential
}

// New starts a server with the entries of an authorization-details JSON
// document.
func New(authDetails []byte) (*Server, error) {
	var doc struct {
		UserDetailList, GroupDetailList, RoleDetailList, Policies []map[string]any
	}
	if err := json.Unmarshal(authDetails, &doc); err != nil {
		return nil, fmt.Errorf("awstest: authorization details: %w", err)
	}
	s := &Server{Users: doc.UserDetailList, Groups: doc.GroupDetailList, Roles: doc.RoleDetailList,
		Policies: doc.Policies, PageSize: 2, Deny: map[string]bool{}, Clusters: map[string]string{},
		requests: map[string]int{}, ReportTime: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s, nil
}

// Requests returns how many requests of an action (or EKS operation) were
// served, errors included.
func (s *Server) Requests(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[action]
}

// Unsigned is how many requests came without a SigV4 Authorization header.
func (s *Server) Unsigned() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unsigned
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	s.mu.Lock()
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") {
		s.unsigned++
	} else if _, c, ok := strings.Cut(auth, "Credential="); ok {
		s.credential, _, _ = strings.Cut(c, ",")
	}
	s.mu.Unlock()
	if strings.HasPrefix(r.URL.Path, "/clusters") {
		s.serveEKS(w, r)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.Method != http.MethodPost {
		queryError(w, http.StatusBadRequest, "InvalidAction", "expected a POST of the IAM Query protocol")
		return
	}
	form, err := parseForm(string(body))
	if err != nil {
		queryError(w, http.StatusBadRequest, "MalformedQueryString", err.Error())
		return
	}
	action := form.Get("Action")
	s.mu.Lock()
	s.requests[action]++
	throttle := action == "GetAccountAuthorizationDetails" && s.Throttle > 0
	if throttle {
		s.Throttle--
	}
	s.mu.Unlock()
	if form.Get("Version") != "2010-05-08" {
		queryError(w, http.StatusBadRequest, "InvalidParameterValue", "Version must be 2010-05-08")
		return
	}
	if s.Deny[action] {
		queryError(w, http.StatusForbidden, "AccessDenied",
			fmt.Sprintf("User: arn:aws:iam::123456789012:user/scanner is not authorized to perform: iam:%s on resource: *", action))
		return
	}
	if throttle {
		queryError(w, http.StatusBadRequest, "Throttling", "Rate exceeded")
		return
	}
	switch action {
	case "GetAccountAuthorizationDetails":
		s.authDetails(w, form.Get("Marker"), form.Get("MaxItems"))
	case "GenerateCredentialReport":
		writeResult(w, action, "<State>COMPLETE</State><Description>No report generation is needed.</Description>")
	case "GetCredentialReport":
		if s.CredentialReport == "" {
			queryError(w, http.StatusGone, "ReportNotPresent", "Credential report not present")
			return
		}
		writeResult(w, action, "<Content>"+base64.StdEncoding.EncodeToString([]byte(s.CredentialReport))+
			"</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>"+s.ReportTime.UTC().Format(time.RFC3339)+"</GeneratedTime>")
	default:
		queryError(w, http.StatusBadRequest, "InvalidAction", "Could not find operation "+action+" for version 2010-05-08")
	}
}

// form is a parsed application/x-www-form-urlencoded body.
type form map[string]string

func (f form) Get(k string) string { return f[k] }

func parseForm(body string) (form, error) {
	out := form{}
	for _, kv := range strings.Split(body, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		uk, err := queryUnescape(k)
		if err != nil {
			return nil, err
		}
		uv, err := queryUnescape(v)
		if err != nil {
			return nil, err
		}
		out[uk] = uv
	}
	return out, nil
}

func queryUnescape(s string) (string, error) {
	s = strings.ReplaceAll(s, "+", " ")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		b.WriteByte(byte(n))
		i += 2
	}
	return b.String(), nil
}

type entry struct {
	list string
	v    map[string]any
}

func (s *Server) authDetails(w http.ResponseWriter, marker, maxItems string) {
	var all []entry
	for _, e := range s.Users {
		all = append(all, entry{"UserDetailList", e})
	}
	for _, e := range s.Groups {
		all = append(all, entry{"GroupDetailList", e})
	}
	for _, e := range s.Roles {
		all = append(all, entry{"RoleDetailList", e})
	}
	for _, e := range s.Policies {
		all = append(all, entry{"Policies", e})
	}
	start := 0
	if marker != "" {
		raw, err := base64.StdEncoding.DecodeString(marker)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "page-"))
		if err != nil || err2 != nil || n < 0 || n > len(all) {
			queryError(w, http.StatusBadRequest, "InvalidInput", "Invalid Marker")
			return
		}
		start = n
	}
	size := s.PageSize
	if m, err := strconv.Atoi(maxItems); err == nil && m > 0 && m < size {
		size = m
	}
	end := min(start+size, len(all))
	lists := map[string][]map[string]any{}
	for _, e := range all[start:end] {
		lists[e.list] = append(lists[e.list], e.v)
	}
	var b strings.Builder
	for _, name := range []string{"UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"} {
		b.WriteString("<" + name + ">")
		for _, v := range lists[name] {
			b.WriteString("<member>")
			writeFields(&b, v)
			b.WriteString("</member>")
		}
		b.WriteString("</" + name + ">")
	}
	if end < len(all) {
		b.WriteString("<IsTruncated>true</IsTruncated><Marker>" + base64.StdEncoding.EncodeToString([]byte("page-"+strconv.Itoa(end))) + "</Marker>")
	} else {
		b.WriteString("<IsTruncated>false</IsTruncated>")
	}
	writeResult(w, "GetAccountAuthorizationDetails", b.String())
}

// writeFields renders an object's fields as XML elements in a fixed order.
// Policy documents are JSON, URL-encoded as RFC 3986 (as the IAM API
// returns them); lists are <member> elements; dates are ISO 8601.
func writeFields(b *strings.Builder, m map[string]any) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		if v == nil {
			continue
		}
		if k == "PolicyDocument" || k == "AssumeRolePolicyDocument" || k == "Document" {
			var text string
			if s, ok := v.(string); ok {
				text = s
			} else {
				raw, _ := json.Marshal(v)
				text = rfc3986(string(raw))
			}
			b.WriteString("<" + k + ">" + escape(text) + "</" + k + ">")
			continue
		}
		writeValue(b, k, v)
	}
}

func writeValue(b *strings.Builder, k string, v any) {
	switch t := v.(type) {
	case map[string]any:
		b.WriteString("<" + k + ">")
		writeFields(b, t)
		b.WriteString("</" + k + ">")
	case []any:
		b.WriteString("<" + k + ">")
		for _, e := range t {
			writeValue(b, "member", e)
		}
		b.WriteString("</" + k + ">")
	case string:
		if strings.HasSuffix(k, "Date") {
			t = isoDate(t)
		}
		b.WriteString("<" + k + ">" + escape(t) + "</" + k + ">")
	case float64:
		b.WriteString("<" + k + ">" + strconv.FormatFloat(t, 'f', -1, 64) + "</" + k + ">")
	case bool:
		b.WriteString("<" + k + ">" + strconv.FormatBool(t) + "</" + k + ">")
	}
}

func isoDate(s string) string {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Format(time.RFC3339)
		}
	}
	return s
}

// rfc3986 percent-encodes everything but unreserved characters.
func rfc3986(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func escape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

var reqID atomic.Int64

func requestID() string {
	return fmt.Sprintf("4f5e6d7c-0000-4000-8000-%012d", reqID.Add(1))
}

func writeResult(w http.ResponseWriter, action, inner string) {
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="%s"><%sResult>%s</%sResult><ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`,
		action, iamNS, action, inner, action, requestID(), action)
}

func queryError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		iamNS, code, escape(msg), requestID())
}

// serveEKS answers the EKS REST-JSON calls kscan makes: DescribeCluster,
// ListPodIdentityAssociations (paginated with nextToken) and
// DescribePodIdentityAssociation.
func (s *Server) serveEKS(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	op := "eks:unknown"
	switch {
	case len(parts) == 2:
		op = "eks:DescribeCluster"
	case len(parts) == 3 && parts[2] == "pod-identity-associations":
		op = "eks:ListPodIdentityAssociations"
	case len(parts) == 4 && parts[2] == "pod-identity-associations":
		op = "eks:DescribePodIdentityAssociation"
	}
	s.mu.Lock()
	s.requests[op]++
	s.mu.Unlock()
	if s.Deny[op] {
		restError(w, http.StatusForbidden, "AccessDeniedException", "User is not authorized to perform: "+op)
		return
	}
	if len(parts) < 2 {
		restError(w, http.StatusNotFound, "ResourceNotFoundException", "not found")
		return
	}
	cluster := parts[1]
	issuer, ok := s.Clusters[cluster]
	if !ok {
		restError(w, http.StatusNotFound, "ResourceNotFoundException", "No cluster found for name: "+cluster+".")
		return
	}
	var mine []map[string]any
	for _, a := range s.Associations {
		if a["clusterName"] == cluster {
			mine = append(mine, a)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	switch op {
	case "eks:DescribeCluster":
		_ = json.NewEncoder(w).Encode(map[string]any{"cluster": map[string]any{
			"name": cluster, "arn": "arn:aws:eks:us-east-1:123456789012:cluster/" + cluster,
			"identity": map[string]any{"oidc": map[string]any{"issuer": issuer}}, "status": "ACTIVE"}})
	case "eks:ListPodIdentityAssociations":
		start, _ := strconv.Atoi(r.URL.Query().Get("nextToken"))
		end := min(start+1, len(mine))
		var out []any
		for _, a := range mine[start:end] {
			sum := map[string]any{}
			for _, k := range []string{"clusterName", "namespace", "serviceAccount", "associationArn", "associationId"} {
				sum[k] = a[k]
			}
			out = append(out, sum)
		}
		resp := map[string]any{"associations": out}
		if end < len(mine) {
			resp["nextToken"] = strconv.Itoa(end)
		}
		_ = json.NewEncoder(w).Encode(resp)
	case "eks:DescribePodIdentityAssociation":
		for _, a := range mine {
			if a["associationId"] == parts[3] {
				_ = json.NewEncoder(w).Encode(map[string]any{"association": a})
				return
			}
		}
		restError(w, http.StatusNotFound, "ResourceNotFoundException", "association not found")
	default:
		restError(w, http.StatusNotFound, "ResourceNotFoundException", "not found")
	}
}

func restError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": msg})
}
