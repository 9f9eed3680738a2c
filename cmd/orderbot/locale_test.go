package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/orderbot/orderbot/lambdas/api"
	"github.com/orderbot/orderbot/lambdas/store/boltdb"
	"github.com/orderbot/orderbot/local/slacksim"
)

// TestDevLocale: orderbot dev speaks ORDERBOT_LOCALE and refuses a locale it does not
// know, naming those it does.
func TestDevLocale(t *testing.T) {
	store, err := boltdb.Open(filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	t.Setenv(api.EnvLocale, "xx")
	if _, err := devGateway(store, "s", true, webAPI{}); err == nil || !strings.Contains(err.Error(), "supported are en, ko") {
		t.Fatalf("%s=xx: got error %v, want one naming the supported locales", api.EnvLocale, err)
	}
	t.Setenv(api.EnvLocale, "ko")
	gw, err := devGateway(store, "s", true, webAPI{})
	if err != nil {
		t.Fatalf("%s=ko: got error %v, want nil", api.EnvLocale, err)
	}
	defer gw.Wait()
	srv := httptest.NewServer(gw)
	defer srv.Close()
	c := slacksim.New(srv.URL, []byte("s"))
	reply, err := c.Command(context.Background(), "/order-update", "아이스 라떼")
	if err != nil || reply.Msg == nil || !strings.Contains(reply.Msg.Text, "내 주문: *아이스 라떼*") {
		t.Fatalf("/order-update in Korean: got %+v, %v, want the Korean confirmation", reply, err)
	}
}
