#!/usr/bin/env bats
# Bad input gets a clear error, a non-zero status, and changes nothing: the
# bundle stays byte-identical, no state is recorded, no container exists.

load helpers

setup() { ab_setup; }
teardown() { ab_teardown; }

# expect_refused ID: create failed cleanly.
expect_refused() {
	[ "$status" -ne 0 ]
	[ ! -e "$STATE/containers/$1" ]
	refute runc --root "$ROOT" state "$1" >/dev/null 2>&1
}

@test "malformed config.json: error names file and position, bundle untouched" {
	printf '{"ociVersion": "1.0.2", "process": {"args": ["/bin/true"],}}' >"$BUNDLE/config.json"
	sum=$(sha256sum "$BUNDLE/config.json")
	new_id
	run abr create -b "$BUNDLE" "$ID"
	expect_refused "$ID"
	[[ "$output" == *"$ID"* ]]
	[[ "$output" == *"$BUNDLE/config.json:1:"* ]]
	[ "$(sha256sum "$BUNDLE/config.json")" = "$sum" ]
}

@test "truncated config.json is refused" {
	head -c 200 "$BUNDLE/config.json" >"$T/t" && mv "$T/t" "$BUNDLE/config.json"
	sum=$(sha256sum "$BUNDLE/config.json")
	new_id
	run abr run -b "$BUNDLE" "$ID"
	expect_refused "$ID"
	[[ "$output" == *config.json* ]]
	[ "$(sha256sum "$BUNDLE/config.json")" = "$sum" ]
}

@test "wrong types name the field" {
	edit_config "$BUNDLE" '.process.args = "/bin/true"'
	sum=$(sha256sum "$BUNDLE/config.json")
	new_id
	run abr create -b "$BUNDLE" "$ID"
	expect_refused "$ID"
	[[ "$output" == *"process.args"* ]]
	[ "$(sha256sum "$BUNDLE/config.json")" = "$sum" ]

	edit_config "$BUNDLE" '.process.args = ["/bin/true"] | .mounts[0].options = [1]'
	sum=$(sha256sum "$BUNDLE/config.json")
	run abr create -b "$BUNDLE" "$ID"
	expect_refused "$ID"
	[[ "$output" == *"mounts[0].options[0]"* ]]
	[ "$(sha256sum "$BUNDLE/config.json")" = "$sum" ]
}

@test "missing bundle is refused with its path" {
	new_id
	run abr create -b "$T/nowhere" "$ID"
	expect_refused "$ID"
	[[ "$output" == *"$T/nowhere"* ]]
}

@test "unknown verb and unknown flag are errors" {
	run "$AGENTBOX_RUNC" frobnicate x
	[ "$status" -ne 0 ]
	[[ "$output" == *frobnicate* ]]
	run "$AGENTBOX_RUNC" --no-such-flag list
	[ "$status" -ne 0 ]
	[[ "$output" == *no-such-flag* ]]
}

@test "a bad config.yaml is refused with file:line:col, nothing created" {
	cat >"$AGENTBOX_CONFIG" <<-YAML
	runtime: runc
	state_dir: $STATE
	hardening:
	  drop_capabilities: [CAP_SYS_ADMIN, CAP_NOT_A_THING]
	YAML
	sum=$(sha256sum "$BUNDLE/config.json")
	new_id
	run abr create -b "$BUNDLE" "$ID"
	expect_refused "$ID"
	[[ "$output" == *"$AGENTBOX_CONFIG:4:"* ]]
	[[ "$output" == *CAP_NOT_A_THING* ]]
	[ "$(sha256sum "$BUNDLE/config.json")" = "$sum" ]
}

@test "errors reach the --log file as runc-shaped JSON naming the container" {
	echo '{' >"$BUNDLE/config.json"
	new_id
	run abr --log "$T/log.json" --log-format json create -b "$BUNDLE" "$ID"
	expect_refused "$ID"
	line=$(jq -c 'select(.level == "error")' "$T/log.json" | head -1)
	[ -n "$line" ]
	echo "$line" | jq -e --arg id "$ID" '(.msg | contains($id)) and (.msg | contains("config.json")) and (.time | length > 0)'
}

@test "an invalid container id is refused before anything happens" {
	sum=$(sha256sum "$BUNDLE/config.json")
	run abr create -b "$BUNDLE" "../escape"
	[ "$status" -ne 0 ]
	[ -z "$(ls -A "$STATE")" ] || [ ! -e "$STATE/containers" ] || [ -z "$(ls -A "$STATE/containers")" ]
	[ "$(sha256sum "$BUNDLE/config.json")" = "$sum" ]
}
