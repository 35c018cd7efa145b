package legacyserver

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Vector is one published password-hash test vector from
// pkg/passhash/testdata, reused so that the migration is tested end to end
// with the same hashes the verifier is: real legacy formats, right and
// wrong passwords, corrupted records.
type Vector struct {
	File     string // the testdata file, e.g. "bcrypt"
	Name     string
	Project  string // Firebase project key; "" = none
	Encoded  string
	Password []byte
	Match    bool
	Scheme   string
	Err      string // "", "malformed" or "unsupported"
	Slow     bool   // needs a lot of memory or time (passhash skips it with -short)
}

// FirebaseProject holds the parameters of one Firebase project, as the
// console shows them (base64 text).
type FirebaseProject struct {
	SignerKey     string `json:"signer_key"`
	SaltSeparator string `json:"salt_separator"`
	Rounds        int    `json:"rounds"`
	MemCost       int    `json:"mem_cost"`
}

// SecretJSON is the LEGACY_SECRET_ID value carrying these parameters.
func (p FirebaseProject) SecretJSON() string {
	b, _ := json.Marshal(map[string]any{"firebase": p})
	return string(b)
}

// LoadVectors reads every vector file in dir (pkg/passhash/testdata).
func LoadVectors(dir string) ([]Vector, map[string]FirebaseProject, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) == 0 {
		return nil, nil, fmt.Errorf("no hash vectors in %s", dir)
	}
	sort.Strings(files)
	projects := map[string]FirebaseProject{}
	var out []Vector
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, nil, err
		}
		var vf struct {
			FirebaseProjects map[string]FirebaseProject `json:"firebase_projects"`
			Vectors          []struct {
				Name        string `json:"name"`
				Project     string `json:"project"`
				Encoded     string `json:"encoded"`
				Password    string `json:"password"`
				PasswordHex string `json:"password_hex"`
				Match       bool   `json:"match"`
				Scheme      string `json:"scheme"`
				Err         string `json:"err"`
				Slow        bool   `json:"slow"`
			} `json:"vectors"`
		}
		if err := json.Unmarshal(b, &vf); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", f, err)
		}
		for k, p := range vf.FirebaseProjects {
			projects[k] = p
		}
		base := filepath.Base(f)
		base = base[:len(base)-len(filepath.Ext(base))]
		for _, v := range vf.Vectors {
			pw := []byte(v.Password)
			if v.PasswordHex != "" {
				if pw, err = hex.DecodeString(v.PasswordHex); err != nil {
					return nil, nil, fmt.Errorf("%s %s: password_hex: %w", f, v.Name, err)
				}
			}
			out = append(out, Vector{File: base, Name: v.Name, Project: v.Project, Encoded: v.Encoded, Password: pw,
				Match: v.Match, Scheme: v.Scheme, Err: v.Err, Slow: v.Slow})
		}
	}
	return out, projects, nil
}
