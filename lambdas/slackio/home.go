package slackio

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
)

// ValidateHome reports the first way a Home tab view breaks a limit of Slack's
// (https://docs.slack.dev/reference/views/home-tab-views: type "home", "Max of 100
// blocks", private_metadata at most 3000 characters, callback_id at most 255), and each
// block as Validate checks a message's: "block 3: section text has 3001 characters,
// limit 3000".
func ValidateHome(v slack.HomeTabViewRequest) error {
	if v.Type != slack.VTHomeTab {
		return fmt.Errorf("view has type %q, want %q", v.Type, slack.VTHomeTab)
	}
	blocks := v.Blocks.BlockSet
	if err := checkViewFields(v.PrivateMetadata, v.CallbackID, blocks); err != nil {
		return err
	}
	for i, b := range blocks {
		if err := validateBlock(b); err != nil {
			return fmt.Errorf("block %d: %w", i, err)
		}
	}
	return checkIDs(blocks)
}

// ErrHashConflict is views.publish's hash_conflict: the hash given is not the hash of the
// Home the user has now — another publish replaced it since (views.publish and
// views.update: "hash_conflict — Error returned when the provided hash doesn't match the
// current stored value"; docs.slack.dev/surfaces/modals#handling_race_conditions).
var ErrHashConflict = errors.New("hash_conflict: the Home changed since the hash was read")

// PublishHome publishes v as user's Home tab (views.publish). hash is the hash of the
// Home the caller built on (the app_home_opened event's view.hash; "" for none): Slack
// refuses the publish with hash_conflict when the Home changed since, so a stale Home
// never overwrites a newer one (https://docs.slack.dev/reference/methods/views.publish).
func (p *Poster) PublishHome(ctx context.Context, user string, v slack.HomeTabViewRequest, hash string) error {
	if user == "" {
		return errors.New("views.publish: no user_id")
	}
	if err := ValidateHome(v); err != nil {
		return fmt.Errorf("views.publish: %w", err)
	}
	_, err := p.client.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: user, View: v, Hash: optional(hash)})
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &se) && se.Err == "hash_conflict":
		return fmt.Errorf("views.publish: %w", ErrHashConflict)
	case err != nil:
		return fmt.Errorf("views.publish: %w", err)
	}
	return nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
