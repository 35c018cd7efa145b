package triggers_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/cognito-triggers/suite/internal/testevent"
	"github.com/cognito-triggers/suite/pkg/triggers"
)

const fixturePassword = "correct horse battery staple"

func TestMigrateUserResponseEncoding(t *testing.T) {
	yes := true
	tests := []struct {
		name string
		resp triggers.MigrateUserResponse
		want string
	}{
		// Nothing set: finalUserStatus and messageAction are absent, never
		// "", so Cognito applies its documented defaults.
		{"untouched", triggers.MigrateUserResponse{}, `{"userAttributes":null}`},
		{"confirmed", triggers.MigrateUserResponse{
			UserAttributes:         triggers.Attributes{"email": "maria.rivera@example.com", "email_verified": "true"},
			FinalUserStatus:        triggers.StatusConfirmed,
			MessageAction:          triggers.MessageSuppress,
			DesiredDeliveryMediums: []string{triggers.DeliveryEmail},
			EnableSMSMFA:           &yes,
		}, `{"userAttributes":{"email":"maria.rivera@example.com","email_verified":"true"},"finalUserStatus":"CONFIRMED","messageAction":"SUPPRESS","desiredDeliveryMediums":["EMAIL"],"enableSMSMFA":true}`},
		{"force alias", triggers.MigrateUserResponse{ForceAliasCreation: true}, `{"userAttributes":null,"forceAliasCreation":true}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, encodePart(t, tt.resp)); diff != "" {
				t.Errorf("encoding (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMigrateUserRequest(t *testing.T) {
	tests := []struct {
		file string
		want triggers.MigrateUserRequest
	}{
		{"migrateuser-authentication.json", triggers.MigrateUserRequest{Password: fixturePassword, ValidationData: triggers.Attributes{"app_version": "4.2.0"}}},
		{"migrateuser-forgot-password.json", triggers.MigrateUserRequest{ClientMetadata: triggers.Attributes{"locale": "es-MX"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := decode[triggers.MigrateUser](t, testevent.Raw(t, tt.file))
			if diff := cmp.Diff(tt.want, ev.Request); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEnableSMSMFASurvives guards the field aws-lambda-go lacks, in both
// directions.
func TestEnableSMSMFASurvives(t *testing.T) {
	data := mutate(t, "migrateuser-authentication.json", `"userAttributes": null`,
		`"userAttributes": {"email": "maria.rivera@example.com", "phone_number": "+15555550100"}, "finalUserStatus": "CONFIRMED", "enableSMSMFA": true`)
	ev := decode[triggers.MigrateUser](t, data)
	if ev.Response.EnableSMSMFA == nil || !*ev.Response.EnableSMSMFA {
		t.Fatalf("EnableSMSMFA = %v, want true", ev.Response.EnableSMSMFA)
	}
	if diff := cmp.Diff(semantic(t, data), semantic(t, encode(t, ev))); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	no := false
	ev.Response.EnableSMSMFA = &no
	if !strings.Contains(encodePart(t, ev.Response), `"enableSMSMFA":false`) {
		t.Errorf("an explicit false was dropped: %s", encodePart(t, ev.Response))
	}
}

// leaks reports whether s shows the password in any of the forms fmt can
// print a string in.
func leaks(s string) bool {
	for _, form := range []string{
		fixturePassword,
		"correct", // a prefix, in case of truncation
		hex.EncodeToString([]byte(fixturePassword)),
		strings.ToUpper(hex.EncodeToString([]byte(fixturePassword))),
		"63 6f 72 72", // % x
	} {
		if strings.Contains(s, form) {
			return true
		}
	}
	return false
}

func migrateFixture(t *testing.T) *triggers.MigrateUser {
	t.Helper()
	ev := decode[triggers.MigrateUser](t, testevent.Raw(t, mig))
	if string(ev.Request.Password) != fixturePassword {
		t.Fatalf("fixture password = %q, want the test password", string(ev.Request.Password))
	}
	return ev
}

func TestPasswordRedactedInFmt(t *testing.T) {
	ev := migrateFixture(t)
	values := map[string]any{
		"event": *ev, "*event": ev, "request": ev.Request, "*request": &ev.Request, "password": ev.Request.Password,
		"wrapped error": fmt.Errorf("migrate %v: %w", ev.Request, errors.New("legacy store down")),
	}
	for name, v := range values {
		for _, format := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%10.3s", "%T %v"} {
			if got := fmt.Sprintf(format, v); leaks(got) {
				t.Errorf("%s with %s shows the password: %s", name, format, got)
			}
		}
		if got := fmt.Sprint(v) + fmt.Sprintln(v); leaks(got) {
			t.Errorf("%s with Sprint shows the password: %s", name, got)
		}
	}
	if got := ev.Request.Password.GoString(); got != `"REDACTED"` {
		t.Errorf("GoString = %s", got)
	}
	// Cognito needs the event back: JSON must carry the real value.
	if !strings.Contains(string(encode(t, ev)), `"password":"`+fixturePassword+`"`) {
		t.Errorf("JSON lost the password: %s", encode(t, ev))
	}
}

func TestPasswordRedactedInSlog(t *testing.T) {
	ev := migrateFixture(t)
	handlers := map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	}
	for hname, newHandler := range handlers {
		var buf bytes.Buffer
		log := slog.New(newHandler(&buf))
		log.Info("event", "event", *ev)
		log.Info("event pointer", "event", ev)
		log.Info("request", "request", ev.Request)
		log.Info("request pointer", slog.Any("request", &ev.Request))
		log.Info("password", "password", ev.Request.Password)
		log.Info("group", slog.Group("g", "event", *ev, "request", ev.Request))
		log.With("event", *ev).Info("with")
		out := buf.String()
		if leaks(out) {
			t.Errorf("%s handler shows the password:\n%s", hname, out)
		}
		// The safe fields are what the event logs as.
		for _, want := range []string{"UserMigration_Authentication", "us-east-1_EXAMPLE", "1example23456789", "REDACTED", "pwPresent"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s handler output lacks %q:\n%s", hname, want, out)
			}
		}
		if strings.Contains(out, "maria.rivera") || strings.Contains(out, "app_version") {
			t.Errorf("%s handler logs the user name or metadata:\n%s", hname, out)
		}
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("event", "event", *ev)
	var rec struct {
		Event map[string]string `json:"event"`
	}
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line: %v", err)
	}
	want := map[string]string{"triggerSource": "UserMigration_Authentication", "userPoolId": "us-east-1_EXAMPLE", "clientId": "1example23456789"}
	if diff := cmp.Diff(want, rec.Event); diff != "" {
		t.Errorf("logged event (-want +got):\n%s", diff)
	}
}

func TestPasswordRedactedInRecoveredPanic(t *testing.T) {
	ev := migrateFixture(t)
	for name, v := range map[string]any{"event": *ev, "*event": ev, "request": ev.Request, "password": ev.Request.Password} {
		got := func() (s string) {
			defer func() { s = fmt.Sprint(recover()) }()
			panic(v)
		}()
		if leaks(got) {
			t.Errorf("recovered %s panic shows the password: %s", name, got)
		}
	}
}

// TestPasswordRedactedInCrash lets the runtime print an unrecovered panic,
// as it would in a Lambda function, by re-running this test binary.
func TestPasswordRedactedInCrash(t *testing.T) {
	if what := os.Getenv("TRIGGERS_TEST_PANIC_WITH"); what != "" {
		ev := migrateFixture(t)
		switch what {
		case "event":
			panic(*ev)
		case "*event":
			panic(ev)
		case "request":
			panic(ev.Request)
		case "password":
			panic(ev.Request.Password)
		case "error":
			panic(fmt.Errorf("migrate %v", ev.Request))
		}
		return
	}
	if testing.Short() {
		t.Skip("starts subprocesses")
	}
	for _, what := range []string{"event", "*event", "request", "password", "error"} {
		t.Run(what, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPasswordRedactedInCrash$", "-test.v")
			cmd.Env = append(os.Environ(), "TRIGGERS_TEST_PANIC_WITH="+what)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("subprocess did not crash:\n%s", out)
			}
			if !strings.Contains(string(out), "panic:") {
				t.Fatalf("subprocess output has no panic:\n%s", out)
			}
			if leaks(string(out)) {
				t.Errorf("crash output shows the password:\n%s", out)
			}
		})
	}
}
