package execplugin

import (
	"encoding/json"
	"fmt"
)

// Codes of the errors a plugin answers with, as docs/exec-protocol.md
// gives them (those of JSON-RPC 2.0).
const (
	CodeInvalidRequest = -32600 // the request was not one the plugin accepts now (a call before initialize)
	CodeMethodNotFound = -32601 // the plugin serves no such method
	CodeInvalidParams  = -32602 // the params did not fit the method
	CodeInternalError  = -32603 // the plugin failed (a Go plugin's handler panicked)
	CodeCancelled      = -32800 // the call was cancelled, or its deadline passed, first
	CodePluginError    = -32000 // the plugin's own error; -32000 to -32099 are the plugin's to use
)

// Error is an error a plugin answered a call with. The error of
// [Plugin.Call] wraps it, with the entry point's name and the method:
//
//	var perr *execplugin.Error
//	if errors.As(err, &perr) && perr.Code == execplugin.CodeMethodNotFound { ... }
type Error struct {
	Code    int
	Message string
	Data    json.RawMessage // as sent; nil when absent
}

// Error returns the message and the code: "no such GPU (code -32000)".
func (e *Error) Error() string { return fmt.Sprintf("%s (code %d)", e.Message, e.Code) }
