package graph

import (
	"reflect"
	"testing"
)

func TestCredentialName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "jwtSigningKey": true, "api-token": true, "example.com/api-key": true, "privateKey": true,
		"TOKEN_URL": false, "SECRET_NAME": false, "AWS_ACCESS_KEY_ID": false, "db_password_file": false,
		"app": false, "keyring": false, "monkey": false, "LOG_LEVEL": false,
	} {
		if got := CredentialName(name); got != want {
			t.Errorf("CredentialName(%q) = %v, want %v", name, got, want)
		}
	}
}

// Secret-looking values become the marker; what cannot be a credential,
// and names, stay.
func TestRedactSecretLooking(t *testing.T) {
	pem := "-----BEGIN RSA PRIVATE KEY-----\nMIIcanary\n-----END RSA PRIVATE KEY-----\n"
	obj := map[string]any{
		"kind":     "ConfigMap",
		"metadata": map[string]any{"name": "c", "annotations": map[string]any{"example.com/api-token": "t0k", "example.com/owner": "team-a", "note": "id AKIAABCDEFGHIJKLMNOP here"}},
		"data":     map[string]any{"password": "hunter2", "enabled": "true", "config.yaml": "a: b", "tls.key": pem, "SECRET_NAME": "db"},
		"spec": map[string]any{"env": []any{
			map[string]any{"name": "DB_PASSWORD", "value": "hunter2"},
			map[string]any{"name": "TOKEN", "value": "$(OTHER)"},
			map[string]any{"name": "CERT", "value": pem},
			map[string]any{"name": "LOG_LEVEL", "value": "debug"},
		}},
	}
	RedactSecretLooking(obj)
	want := map[string]any{
		"kind":     "ConfigMap",
		"metadata": map[string]any{"name": "c", "annotations": map[string]any{"example.com/api-token": SecretMarker, "example.com/owner": "team-a", "note": "id " + SecretMarker + " here"}},
		"data":     map[string]any{"password": SecretMarker, "enabled": "true", "config.yaml": "a: b", "tls.key": "-----BEGIN RSA PRIVATE KEY----- " + SecretMarker, "SECRET_NAME": "db"},
		"spec": map[string]any{"env": []any{
			map[string]any{"name": "DB_PASSWORD", "value": SecretMarker},
			map[string]any{"name": "TOKEN", "value": "$(OTHER)"},
			map[string]any{"name": "CERT", "value": "-----BEGIN RSA PRIVATE KEY----- " + SecretMarker},
			map[string]any{"name": "LOG_LEVEL", "value": "debug"},
		}},
	}
	if !reflect.DeepEqual(obj, want) {
		t.Errorf("got  %v\nwant %v", obj, want)
	}
	secret := map[string]any{"kind": "Secret", "stringData": map[string]any{"password": "x"}}
	RedactSecretLooking(secret)
	if secret["stringData"].(map[string]any)["password"] != "x" {
		t.Error("a Secret is left to its own handling")
	}
}
