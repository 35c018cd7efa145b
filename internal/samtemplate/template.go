package samtemplate

import (
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Resource types the checks care about.
const (
	TypeFunction   = "AWS::Serverless::Function"
	TypeUserPool   = "AWS::Cognito::UserPool"
	TypePermission = "AWS::Lambda::Permission"
	TypeRole       = "AWS::IAM::Role"
	TypeLogGroup   = "AWS::Logs::LogGroup"
)

// Template is a parsed template: plain maps, slices and scalars, with every
// intrinsic function in its long form.
type Template struct {
	Doc map[string]any
}

// Load reads and parses a template file.
func Load(path string) (*Template, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load template: %w", err)
	}
	t, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("load template %s: %w", path, err)
	}
	return t, nil
}

// Parse parses a YAML (or JSON) template.
func Parse(data []byte) (*Template, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	v, err := convert(&root)
	if err != nil {
		return nil, fmt.Errorf("parse template: %w", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parse template: top level is %T, want a mapping", v)
	}
	return &Template{Doc: doc}, nil
}

// shortForms maps CloudFormation's YAML short-form tags to the long-form
// key they stand for.
var shortForms = map[string]string{
	"!Ref":         "Ref",
	"!Condition":   "Condition",
	"!GetAtt":      "Fn::GetAtt",
	"!Sub":         "Fn::Sub",
	"!If":          "Fn::If",
	"!Equals":      "Fn::Equals",
	"!Not":         "Fn::Not",
	"!And":         "Fn::And",
	"!Or":          "Fn::Or",
	"!Select":      "Fn::Select",
	"!Join":        "Fn::Join",
	"!Split":       "Fn::Split",
	"!FindInMap":   "Fn::FindInMap",
	"!Base64":      "Fn::Base64",
	"!Cidr":        "Fn::Cidr",
	"!GetAZs":      "Fn::GetAZs",
	"!ImportValue": "Fn::ImportValue",
}

// convert turns a YAML node into plain Go values, expanding short forms.
func convert(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return convert(n.Content[0])
	case yaml.AliasNode:
		// CloudFormation refuses them ("YAML aliases are not allowed in
		// CloudFormation templates"), and expanding them invites
		// exponential documents.
		return nil, fmt.Errorf("line %d: YAML aliases are not allowed in CloudFormation templates", n.Line)
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		key, ok := shortForms[n.Tag]
		if !ok {
			return nil, fmt.Errorf("line %d: unsupported tag %s", n.Line, n.Tag)
		}
		arg, err := convertContent(n)
		if err != nil {
			return nil, err
		}
		switch key {
		case "Ref", "Condition":
			if n.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: %s takes a name", n.Line, n.Tag)
			}
		case "Fn::GetAtt":
			// !GetAtt Resource.Attribute; the attribute may itself hold
			// dots (Endpoint.Address), the logical id never does.
			if s, ok := arg.(string); ok {
				id, attr, found := strings.Cut(s, ".")
				if !found {
					return nil, fmt.Errorf("line %d: !GetAtt %q has no attribute", n.Line, s)
				}
				arg = []any{id, attr}
			}
		}
		return map[string]any{key: arg}, nil
	}
	return convertContent(n)
}

// convertContent converts a node ignoring its own tag.
func convertContent(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: duplicate key %q", k.Line, k.Value)
			}
			cv, err := convert(v)
			if err != nil {
				return nil, err
			}
			m[k.Value] = cv
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			cv, err := convert(c)
			if err != nil {
				return nil, err
			}
			s = append(s, cv)
		}
		return s, nil
	case yaml.ScalarNode:
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return n.Value, nil // the argument of a short form is text
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n.Line, err)
		}
		return v, nil
	}
	return nil, fmt.Errorf("line %d: unexpected YAML node kind %d", n.Line, n.Kind)
}

// Clone returns a deep copy, for tests that mutate a template.
func (t *Template) Clone() *Template {
	return &Template{Doc: deepCopy(t.Doc).(map[string]any)}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	}
	return v
}

// Resources returns the Resources section.
func (t *Template) Resources() map[string]any { return asMap(t.Doc["Resources"]) }

// Resource returns a resource's definition, or nil.
func (t *Template) Resource(id string) map[string]any { return asMap(t.Resources()[id]) }

// Type returns a resource's Type, or "" when there is no such resource.
func (t *Template) Type(id string) string {
	s, _ := t.Resource(id)["Type"].(string)
	return s
}

// Props returns a resource's Properties, or nil.
func (t *Template) Props(id string) map[string]any { return asMap(t.Resource(id)["Properties"]) }

// Condition returns the resource's Condition, or "".
func (t *Template) Condition(id string) string {
	s, _ := t.Resource(id)["Condition"].(string)
	return s
}

// Parameter returns a parameter's definition, or nil.
func (t *Template) Parameter(name string) map[string]any {
	return asMap(asMap(t.Doc["Parameters"])[name])
}

// OfType returns the logical ids of every resource of the given type, sorted.
func (t *Template) OfType(typ string) []string {
	var ids []string
	for id := range t.Resources() {
		if t.Type(id) == typ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Functions returns the AWS::Serverless::Function logical ids, sorted.
func (t *Template) Functions() []string { return t.OfType(TypeFunction) }

// globalFunction returns Globals.Function.
func (t *Template) globalFunction() map[string]any {
	return asMap(asMap(t.Doc["Globals"])["Function"])
}

// FunctionProp returns a function property as SAM resolves it: the
// function's own value, else the Globals.Function value. The second result
// says where it came from ("" when neither sets it).
func (t *Template) FunctionProp(id, name string) (any, string) {
	if v, ok := t.Props(id)[name]; ok {
		return v, id
	}
	if v, ok := t.globalFunction()[name]; ok {
		return v, "Globals.Function"
	}
	return nil, ""
}

// EnvVars returns a function's environment variables as SAM merges them:
// Globals.Function.Environment.Variables overlaid with the function's own.
func (t *Template) EnvVars(id string) map[string]any {
	vars := map[string]any{}
	g := asMap(asMap(t.globalFunction()["Environment"])["Variables"])
	maps.Copy(vars, g)
	maps.Copy(vars, asMap(asMap(t.Props(id)["Environment"])["Variables"]))
	return vars
}

func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// intrinsic returns the single key and argument of a long-form intrinsic
// ({"Ref": x}, {"Fn::If": [...]}), or ok=false.
func intrinsic(v any) (key string, arg any, ok bool) {
	m, isMap := v.(map[string]any)
	if !isMap || len(m) != 1 {
		return "", nil, false
	}
	for k, a := range m {
		if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
			return k, a, true
		}
	}
	return "", nil, false
}

// refOf returns x for {"Ref": x}.
func refOf(v any) (string, bool) {
	k, a, ok := intrinsic(v)
	if !ok || k != "Ref" {
		return "", false
	}
	s, ok := a.(string)
	return s, ok
}

// getAttOf returns (x, attr) for {"Fn::GetAtt": [x, attr]} or
// {"Fn::GetAtt": "x.attr"}.
func getAttOf(v any) (id, attr string, ok bool) {
	k, a, isIntr := intrinsic(v)
	if !isIntr || k != "Fn::GetAtt" {
		return "", "", false
	}
	switch a := a.(type) {
	case string:
		id, attr, ok = strings.Cut(a, ".")
		return id, attr, ok
	case []any:
		if len(a) != 2 {
			return "", "", false
		}
		id, ok1 := a[0].(string)
		attr, ok2 := a[1].(string)
		return id, attr, ok1 && ok2
	}
	return "", "", false
}

func isNoValue(v any) bool {
	r, ok := refOf(v)
	return ok && r == "AWS::NoValue"
}

// branches expands Fn::If: it calls fn with each value v can take and the
// conditions that guard it. AWS::NoValue branches are passed on too.
func branches(v any, guards []string, fn func(v any, guards []string)) {
	if k, a, ok := intrinsic(v); ok && k == "Fn::If" {
		if args, ok := a.([]any); ok && len(args) == 3 {
			cond, _ := args[0].(string)
			branches(args[1], append(slices.Clip(guards), cond), fn)
			branches(args[2], append(slices.Clip(guards), "!"+cond), fn)
			return
		}
	}
	fn(v, guards)
}

var subVar = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// Refs returns the names v refers to, sorted and unique: Ref targets,
// Fn::GetAtt resources and the ${Name} / ${Name.Attr} variables of Fn::Sub
// strings (local Fn::Sub variables excluded). Pseudo parameters
// (AWS::Region, ...) are included; callers filter by resource type.
func Refs(v any) []string {
	set := map[string]bool{}
	collectRefs(v, set)
	out := slices.Collect(maps.Keys(set))
	slices.Sort(out)
	return out
}

func collectRefs(v any, set map[string]bool) {
	if k, a, ok := intrinsic(v); ok {
		switch k {
		case "Ref":
			if s, ok := a.(string); ok {
				set[s] = true
			}
			return
		case "Fn::GetAtt":
			if id, _, ok := getAttOf(v); ok {
				set[id] = true
			}
			return
		case "Fn::Sub":
			var text string
			local := map[string]bool{}
			switch a := a.(type) {
			case string:
				text = a
			case []any:
				if len(a) > 0 {
					text, _ = a[0].(string)
				}
				if len(a) > 1 {
					for name, val := range asMap(a[1]) {
						local[name] = true
						collectRefs(val, set)
					}
				}
			}
			for _, m := range subVar.FindAllStringSubmatch(text, -1) {
				name, _, _ := strings.Cut(m[1], ".")
				if !local[name] {
					set[name] = true
				}
			}
			return
		}
	}
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			collectRefs(e, set)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, set)
		}
	}
}

// describe renders a value compactly for a problem message.
func describe(v any) string {
	if r, ok := refOf(v); ok {
		return "!Ref " + r
	}
	if id, attr, ok := getAttOf(v); ok {
		return "!GetAtt " + id + "." + attr
	}
	if k, a, ok := intrinsic(v); ok {
		return fmt.Sprintf("%s %v", k, a)
	}
	return fmt.Sprintf("%#v", v)
}
