package harness

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// The region and static credentials every harness client and function uses.
// moto accepts any credentials; fixed values keep logs and signatures
// reproducible.
const (
	Region          = "us-east-1"
	AccessKeyID     = "testing"
	SecretAccessKey = "testing"
)

// motoReadyTimeout bounds start-up; pyenv shims and a loaded CI box make the
// usual 0.4 s vary a lot.
const motoReadyTimeout = 20 * time.Second

// Moto is a moto_server on a free 127.0.0.1 port, standing in for DynamoDB
// and Secrets Manager.
type Moto struct {
	// Endpoint is the server's base URL, http://127.0.0.1:PORT.
	Endpoint string

	proc   *process
	dir    string // holds moto.log; removed by Stop
	logf   string
	ddb    *dynamodb.Client
	sm     *secretsmanager.Client
	http   *http.Client
	stopMu sync.Mutex
}

// StartMoto starts moto_server (or $MOTO_SERVER) and returns once it
// answers and DynamoDB and Secrets Manager are warm: moto loads each backend
// on first use, and without the warm-up the first test to touch DynamoDB
// pays about 0.3 s inside whatever it is timing.
func StartMoto(ctx context.Context) (*Moto, error) {
	bin := os.Getenv("MOTO_SERVER")
	if bin == "" {
		p, err := exec.LookPath("moto_server")
		if err != nil {
			return nil, errors.New("start moto: moto_server is not on PATH; install it (pip install 'moto[server]==5.2.1') or set MOTO_SERVER")
		}
		bin = p
	}
	dir, err := makeTempDir("moto")
	if err != nil {
		return nil, fmt.Errorf("start moto: %w", err)
	}
	m := &Moto{dir: dir, logf: filepath.Join(dir, "moto.log"), http: newLoopbackClient()}
	// A port can be taken between freePort and moto's bind; try a few.
	for attempt := 1; ; attempt++ {
		err = m.start(ctx, bin)
		if err == nil {
			break
		}
		if attempt == 3 || ctx.Err() != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start moto: %w", err)
		}
	}
	cfg := m.AWSConfig()
	m.ddb = dynamodb.NewFromConfig(cfg)
	m.sm = secretsmanager.NewFromConfig(cfg)
	if err := m.warm(ctx); err != nil {
		m.Stop()
		return nil, fmt.Errorf("start moto: warm up: %w", err)
	}
	return m, nil
}

func (m *Moto) start(ctx context.Context, bin string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	p, err := startProcess(bin, []string{"-H", "127.0.0.1", "-p", strconv.Itoa(port)}, os.Environ(), m.dir, m.logf)
	if err != nil {
		return err
	}
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	ctx, cancel := context.WithTimeout(ctx, motoReadyTimeout)
	defer cancel()
	for {
		if p.exited() {
			return fmt.Errorf("moto_server exited during start-up (%v); log:\n%s", p.err, readLogTail(m.logf))
		}
		if listensOn(p.pid, port) && m.answers(ctx, endpoint+"/moto-api/") {
			m.proc, m.Endpoint = p, endpoint
			return nil
		}
		select {
		case <-ctx.Done():
			p.stop()
			return fmt.Errorf("moto_server not ready: %w; log:\n%s", ctx.Err(), readLogTail(m.logf))
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (m *Moto) answers(ctx context.Context, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// warm makes one cheap call per backend, concurrently, so both load at once.
func (m *Moto) warm(ctx context.Context) error {
	var wg sync.WaitGroup
	var ddbErr, smErr error
	wg.Go(func() { _, ddbErr = m.ddb.ListTables(ctx, &dynamodb.ListTablesInput{}) })
	wg.Go(func() { _, smErr = m.sm.ListSecrets(ctx, &secretsmanager.ListSecretsInput{}) })
	wg.Wait()
	return errors.Join(ddbErr, smErr)
}

// Stop stops the server by PID (process group) and removes its log. It is
// safe to call more than once.
func (m *Moto) Stop() error {
	m.stopMu.Lock()
	defer m.stopMu.Unlock()
	var err error
	if m.proc != nil {
		err = m.proc.stop()
	}
	m.http.CloseIdleConnections()
	if m.dir != "" {
		os.RemoveAll(m.dir)
		m.dir = ""
	}
	return err
}

// Reset wipes every table, item and secret, so tests sharing one server start
// from nothing.
func (m *Moto) Reset(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.Endpoint+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp, err := m.http.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

// AWSConfig returns a config for SDK clients talking to this server. It is
// built by hand rather than with config.LoadDefaultConfig so that nothing in
// the developer's environment or ~/.aws can point a test at real AWS.
func (m *Moto) AWSConfig() aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider(AccessKeyID, SecretAccessKey, ""),
		BaseEndpoint: aws.String(m.Endpoint),
	}
}

// Env returns the variables that point a function under the emulator at
// this server. The map is a fresh copy; callers may add to it.
func (m *Moto) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":      m.Endpoint,
		"AWS_REGION":            Region,
		"AWS_ACCESS_KEY_ID":     AccessKeyID,
		"AWS_SECRET_ACCESS_KEY": SecretAccessKey,
	}
}

// DynamoDB returns a client for this server, for seeding and asserting on
// tables beyond what CreateTable and PutItem cover.
func (m *Moto) DynamoDB() *dynamodb.Client { return m.ddb }

// SecretsManager returns a client for this server.
func (m *Moto) SecretsManager() *secretsmanager.Client { return m.sm }

// CreateTable creates an on-demand table with a string partition key pk and,
// unless sk is "", a string sort key sk, and waits until it is ACTIVE.
func (m *Moto) CreateTable(ctx context.Context, name, pk, sk string) error {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(pk), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
		},
	}
	if sk != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions,
			types.AttributeDefinition{AttributeName: aws.String(sk), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema,
			types.KeySchemaElement{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange})
	}
	if _, err := m.ddb.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	// moto creates tables ACTIVE at once; the waiter keeps this correct if
	// that ever changes, and short delays keep it fast.
	w := dynamodb.NewTableExistsWaiter(m.ddb, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 10*time.Millisecond, 200*time.Millisecond
	})
	if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, 10*time.Second); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	return nil
}

// PutItem writes item to table.
func (m *Moto) PutItem(ctx context.Context, table string, item map[string]types.AttributeValue) error {
	if _, err := m.ddb.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		return fmt.Errorf("put item into %s: %w", table, err)
	}
	return nil
}

// CreateSecret creates a secret whose current version holds value as its
// SecretString.
func (m *Moto) CreateSecret(ctx context.Context, name, value string) error {
	if _, err := m.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		SecretString: aws.String(value),
	}); err != nil {
		return fmt.Errorf("create secret %s: %w", name, err)
	}
	return nil
}

// newLoopbackClient returns an HTTP client that never goes through a proxy:
// the harness only talks to 127.0.0.1, and a developer's HTTP_PROXY must not
// intercept it.
func newLoopbackClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     30 * time.Second,
	}}
}
