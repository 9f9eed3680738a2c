package awsfront

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
)

// ddbWrite makes a write on its item alone (writes through the front to one item are
// serialised, so that what the front reads around the write is that write's item), and
// adds what dynalite does not do:
//   - ConditionalCheckFailedException carries the item as it is when the request asks for
//     it with ReturnValuesOnConditionCheckFailure ALL_OLD, and not otherwise
//     (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html#DDB-PutItem-request-ReturnValuesOnConditionCheckFailure);
//   - an UpdateItem whose result exceeds 400 KB in UTF-8 is undone and refused with
//     DynamoDB's "Item size to update has exceeded the maximum allowed size" (dynalite
//     counts UTF-16 units).
func (f *Front) ddbWrite(w http.ResponseWriter, r *http.Request, backend http.Handler, name string, req ddbRequest) {
	mu := &f.itemLocks[lockIndex(f.itemKey(req))]
	mu.Lock()
	defer mu.Unlock()
	var old map[string]av
	if name == "UpdateItem" {
		old = f.ddbGet(r, backend, req)
	}
	rec := httptest.NewRecorder()
	backend.ServeHTTP(rec, r)
	var e struct {
		Type string `json:"__type"`
	}
	json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code == http.StatusBadRequest && strings.HasSuffix(e.Type, "#ConditionalCheckFailedException") {
		out := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", "message": "The conditional request failed"}
		if req.ReturnValuesOnConditionCheckFailure == "ALL_OLD" {
			if item := f.ddbGet(r, backend, req); item != nil {
				out["Item"] = item
			}
		}
		writeJSON(w, "application/x-amz-json-1.0", http.StatusBadRequest, out)
		return
	}
	if name == "UpdateItem" && rec.Code == http.StatusOK {
		if cur := f.ddbGet(r, backend, req); ItemSize(cur) > MaxItemSize {
			f.ddbRestore(r, backend, req, old)
			failDynamoDB(w, *validation("Item size to update has exceeded the maximum allowed size"))
			return
		}
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	w.Write(rec.Body.Bytes())
}

func lockIndex(key string) int {
	h := fnv.New32a()
	h.Write([]byte(key))
	return int(h.Sum32() % itemLockStripes)
}

// ddbKey is the key of the item req is on.
func (f *Front) ddbKey(req ddbRequest) map[string]av {
	if req.Key != nil {
		return req.Key
	}
	t, _ := f.table(req.TableName)
	key := map[string]av{t.PartitionKey: req.Item[t.PartitionKey]}
	if t.SortKey != "" {
		key[t.SortKey] = req.Item[t.SortKey]
	}
	return key
}

// ddbCall makes one request of the backend on the front's own behalf, with the
// caller's Authorization header (dynalite checks its form, not its signature).
func (f *Front) ddbCall(r *http.Request, backend http.Handler, target string, in any) (int, []byte) {
	b, _ := json.Marshal(in)
	req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(b))
	for _, h := range []string{"Authorization", "X-Amz-Date", "Host"} {
		req.Header.Set(h, r.Header.Get(h))
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810."+target)
	rec := httptest.NewRecorder()
	backend.ServeHTTP(rec, req)
	return rec.Code, rec.Body.Bytes()
}

func (f *Front) ddbGet(r *http.Request, backend http.Handler, req ddbRequest) map[string]av {
	code, body := f.ddbCall(r, backend, "GetItem", map[string]any{"TableName": req.TableName, "Key": f.ddbKey(req), "ConsistentRead": true})
	var out struct{ Item map[string]av }
	if code != http.StatusOK || json.Unmarshal(body, &out) != nil {
		return nil
	}
	return out.Item
}

// ddbRestore puts the item back as it was before an update, or deletes it if there was
// none.
func (f *Front) ddbRestore(r *http.Request, backend http.Handler, req ddbRequest, old map[string]av) {
	if old == nil {
		f.ddbCall(r, backend, "DeleteItem", map[string]any{"TableName": req.TableName, "Key": f.ddbKey(req)})
		return
	}
	f.ddbCall(r, backend, "PutItem", map[string]any{"TableName": req.TableName, "Item": old})
}

// itemLockStripes is how many locks the items' writes share.
const itemLockStripes = 64
