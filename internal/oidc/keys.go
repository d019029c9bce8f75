package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// maxJWKSBytes bounds the provider's key set document; a real one holds a
// few keys of about a kilobyte each.
const maxJWKSBytes = 1 << 20

// remoteKeys is the provider's published key set (its jwks_uri). Keys are
// cached; a token whose key is not among them makes one fetch (callers
// arriving meanwhile wait for the same fetch), and the fetched set replaces
// the cache, so a key the provider retired stops verifying at once
// (OpenID Connect Core 1.0, section 10.1.1, rotation of asymmetric keys).
// A token naming a key we hold that refuses it is refused without a fetch
// (see knownKeyRefetch).
//
// It stands in for go-oidc's RemoteKeySet, which hands a fetch's keys to the
// waiting caller before storing them: for a moment after the fetch that
// dropped a key, a token signed with that key still verified.
type remoteKeys struct {
	url     string
	client  *http.Client
	timeout time.Duration // of one fetch, whatever the client's
	algs    []jose.SignatureAlgorithm

	mu        sync.Mutex
	keys      []jose.JSONWebKey
	fetchedAt time.Time // of keys
	triedAt   time.Time // the last fetch's start, failed or not
	inflight  *keyFetch
}

// minFetchGap spaces fetches of the key set: tokens naming keys nobody
// published (forged, or from another provider) wait for the next fetch
// instead of each making one, so the provider sees at most one a second
// from each instance whatever arrives. A sign-in with a key published
// moments after the last fetch waits up to this long.
var minFetchGap = time.Second

// knownKeyRefetch is how long a token naming a key we hold, whose
// signature that key refuses, is refused without fetching the key set
// again: a forged token must not make every request a call to the
// provider. After it, one fetch is allowed (a provider that reused a key
// id for a new key).
const knownKeyRefetch = time.Minute

type keyFetch struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

func newRemoteKeys(url string, client *http.Client, timeout time.Duration, algs []string) *remoteKeys {
	r := &remoteKeys{url: url, client: client, timeout: timeout}
	for _, a := range algs {
		r.algs = append(r.algs, jose.SignatureAlgorithm(a))
	}
	return r
}

// fetchNote carries a failed key fetch out of the verifier, which flattens
// the key set's error into "failed to verify signature".
type fetchNote struct{ err error }

type fetchNoteKey struct{}

// VerifySignature implements go-oidc's KeySet.
func (r *remoteKeys) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	jws, err := jose.ParseSigned(raw, r.algs)
	if err != nil {
		return nil, fmt.Errorf("oidc: malformed jwt: %v", err)
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("oidc: id token not signed once")
	}
	kid := jws.Signatures[0].Header.KeyID
	r.mu.Lock()
	cached, fetchedAt := r.keys, r.fetchedAt
	r.mu.Unlock()
	if payload, ok := verifyWith(jws, kid, cached); ok {
		return payload, nil
	}
	if kid != "" && holds(cached, kid) && time.Since(fetchedAt) < knownKeyRefetch {
		return nil, errors.New("the named key does not verify the signature")
	}
	fresh, err := r.refresh(ctx)
	if err != nil {
		if n, ok := ctx.Value(fetchNoteKey{}).(*fetchNote); ok {
			n.err = err
		}
		return nil, fmt.Errorf("fetching keys: %w", err)
	}
	if payload, ok := verifyWith(jws, kid, fresh); ok {
		return payload, nil
	}
	return nil, errors.New("no published key verifies the signature")
}

func holds(keys []jose.JSONWebKey, kid string) bool {
	for i := range keys {
		if keys[i].KeyID == kid {
			return true
		}
	}
	return false
}

func verifyWith(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) ([]byte, bool) {
	for i := range keys {
		if kid != "" && keys[i].KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(&keys[i]); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refresh fetches the key set once for every caller waiting at the time
// (no sooner than minFetchGap after the previous fetch) and stores it
// before any of them sees it. The fetch is not cancelled by the
// caller's context (the others may still wait for it); r.timeout bounds
// it, so a provider that never answers cannot hold later sign-ins.
func (r *remoteKeys) refresh(ctx context.Context) ([]jose.JSONWebKey, error) {
	r.mu.Lock()
	f := r.inflight
	if f == nil {
		f = &keyFetch{done: make(chan struct{})}
		r.inflight = f
		wait := minFetchGap - time.Since(r.triedAt)
		go func() {
			if wait > 0 {
				time.Sleep(wait)
			}
			r.mu.Lock()
			r.triedAt = time.Now()
			r.mu.Unlock()
			keys, err := r.fetch()
			r.mu.Lock()
			if err == nil {
				r.keys, r.fetchedAt = keys, time.Now()
			}
			r.inflight = nil
			f.keys, f.err = keys, err
			r.mu.Unlock()
			close(f.done)
		}()
	}
	r.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-f.done:
		return f.keys, f.err
	}
}

func (r *remoteKeys) fetch() ([]jose.JSONWebKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Accept", "application/json")
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("key set: HTTP %d", resp.StatusCode)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("key set larger than %d bytes", maxJWKSBytes)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("key set: %v", err)
	}
	return set.Keys, nil
}
