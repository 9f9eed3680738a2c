package slacksim

import (
	"fmt"
	"strings"
)

// SetPrivate makes channel a private channel, with the bot a member of it or not. With
// PublicUnlisted, every channel not set private stays a public one the bot is in; a
// private one the bot is not in answers chat.* with channel_not_found, since "Slack does
// not reveal" a private channel to a non-member (see channelProblem), whatever
// chat:write.public allows in public ones.
func (s *WebAPI) SetPrivate(channel string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Channels == nil {
		s.Channels = map[string]bool{}
	}
	if s.Private == nil {
		s.Private = map[string]bool{}
	}
	s.Channels[channel] = member
	s.Private[channel] = true
}

// ParsePrivateChannel reads `orderbot dev --private-channel` values: "C123" is a private
// channel the bot has not been invited to, "C123:member" one it is in.
func ParsePrivateChannel(v string) (channel string, member bool, err error) {
	channel, suffix, hasSuffix := strings.Cut(v, ":")
	switch {
	case channel == "" || strings.ContainsAny(channel, " \t,"):
		return "", false, fmt.Errorf("private channel %q: want a channel id such as C0PRIVATE, optionally followed by :member", v)
	case hasSuffix && suffix != "member":
		return "", false, fmt.Errorf("private channel %q: the only suffix is :member (the bot is in it)", v)
	}
	return channel, hasSuffix, nil
}
