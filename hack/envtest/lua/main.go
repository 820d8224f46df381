// Command argocd-lua runs an Argo CD resource health check the way Argo CD runs it, so that
// tests/argocd_health.rs tests deploy/argocd/health.lua in the interpreter Argo CD embeds:
// gopher-lua (Lua 5.1), in Argo CD's sandbox. A script that needs Lua 5.2+ syntax, or a library
// the sandbox does not open (string, math, io, ...), fails here as it would fail in Argo CD.
//
// Usage: argocd-lua SCRIPT OBJECT.json
//
// As Argo CD's util/lua does for a health check without useOpenLibs: open only the package,
// base and table libraries plus an `os` with just time and date; decode the object from JSON into
// the global `obj` (every number a Lua number, JSON null as nil); run the script with a 1 s
// deadline; require a table back. The table is printed as JSON on stdout; any error goes to
// stderr with exit status 1.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: argocd-lua SCRIPT OBJECT.json")
		os.Exit(2)
	}
	out, err := run(os.Args[1], os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, "argocd-lua:", err)
		os.Exit(1)
	}
	fmt.Println(string(out))
}

func run(scriptPath, objectPath string) ([]byte, error) {
	script, err := os.ReadFile(scriptPath)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(objectPath)
	if err != nil {
		return nil, err
	}
	var object any
	if err := json.Unmarshal(raw, &object); err != nil {
		return nil, fmt.Errorf("%s: %w", objectPath, err)
	}

	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{lua.LoadLibName, lua.OpenPackage},
		{lua.BaseLibName, lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.OsLibName, lua.OpenOs},
	} {
		if err := l.CallByParam(lua.P{Fn: l.NewFunction(lib.open), NRet: 0, Protect: true}, lua.LString(lib.name)); err != nil {
			return nil, err
		}
	}
	// Argo CD's "safe" os library has only time and date.
	if osTable, ok := l.GetGlobal(lua.OsLibName).(*lua.LTable); ok {
		safe := l.NewTable()
		for _, name := range []string{"time", "date"} {
			safe.RawSetString(name, osTable.RawGetString(name))
		}
		l.SetGlobal(lua.OsLibName, safe)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	l.SetContext(ctx)
	l.SetGlobal("obj", decode(l, object))
	if err := l.DoString(string(script)); err != nil {
		return nil, err
	}
	result, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		return nil, fmt.Errorf("expected a table from the script, got %s", l.Get(-1).Type())
	}
	return json.Marshal(encode(result))
}

// decode turns a JSON value into the Lua value Argo CD hands to the script.
func decode(l *lua.LState, value any) lua.LValue {
	switch v := value.(type) {
	case bool:
		return lua.LBool(v)
	case float64:
		return lua.LNumber(v)
	case string:
		return lua.LString(v)
	case []any:
		t := l.CreateTable(len(v), 0)
		for _, item := range v {
			t.Append(decode(l, item))
		}
		return t
	case map[string]any:
		t := l.CreateTable(0, len(v))
		for key, item := range v {
			t.RawSetH(lua.LString(key), decode(l, item))
		}
		return t
	}
	return lua.LNil
}

// encode turns the script's result back into JSON values (tables keyed by strings become
// objects; Argo CD reads only the string fields status and message).
func encode(value lua.LValue) any {
	switch v := value.(type) {
	case lua.LBool:
		return bool(v)
	case lua.LNumber:
		return float64(v)
	case lua.LString:
		return string(v)
	case *lua.LTable:
		out := map[string]any{}
		v.ForEach(func(key, item lua.LValue) { out[key.String()] = encode(item) })
		return out
	}
	return nil
}
