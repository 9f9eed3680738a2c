package slackio

import "github.com/slack-go/slack"

// maxFieldError bounds a field error shown under an input of the modal.
const maxFieldError = 150

// FieldError is a problem with what a person entered in a modal: answer the
// view_submission with its Response, and the modal stays open showing Message under the
// input BlockID.
type FieldError struct {
	BlockID string
	Message string
}

func (e *FieldError) Error() string { return e.BlockID + ": " + e.Message }

// Response is the view_submission answer that shows e in a modal.
func (e *FieldError) Response() ViewResponse { return ViewErrors(e.BlockID, e.Message) }

// ViewResponse is the JSON body of the answer to a view_submission. The zero value
// encodes as {} and closes the modal.
type ViewResponse struct {
	ResponseAction string            `json:"response_action,omitempty"`
	Errors         map[string]string `json:"errors,omitempty"`
}

// ViewErrors keeps the modal open and shows message under the input block blockID
// ({"response_action":"errors","errors":{blockID: message}}); message is cut to 150
// characters.
func ViewErrors(blockID, message string) ViewResponse {
	return ViewResponse{ResponseAction: string(slack.RAErrors), Errors: map[string]string{blockID: Clip(message, maxFieldError)}}
}
