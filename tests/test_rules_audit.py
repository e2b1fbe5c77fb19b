"""The audit's reproductions (issue 14) that need rebase mode or --keep-old-defaults: checked on the parts
of the output the rules are about, so that unrelated baseline changes do not move them."""

import tomllib

from k8s_migrate.migrate.toml import Options, migrate_toml, stock_text_for


def run(text: str, src: str, dst: str, **options):
    result = migrate_toml(text.encode(), "d.toml", Options(src, dst, **options))
    return tomllib.loads(result.output), result.report.entries


def test_w1_the_300_stock_file_keeps_the_database_user_store_in_a_rebase():
    data, entries = run(stock_text_for("3.0.0", None), "3.0.0", "3.1.0", mode="rebase")
    assert data["user_store"]["type"] == "database"
    (entry,) = [e for e in entries if e.old_key == "user_store.type"]
    assert entry.action == "review" and entry.rule == "r310-user-store-type-default"


def test_w1_the_other_answer_takes_the_unique_id_store():
    data, entries = run('[user_store]\ntype = "database"\n', "3.0.0", "3.1.0", mode="rebase",
                        answers={"rules": {"r310-user-store-type-default": "unique_id"}})
    assert data["user_store"]["type"] == "database_unique_id"


def test_w8_a_choreo_configuration_gets_no_stock_moesif_type_in_a_rebase():
    data, entries = run('[apim.analytics]\nenable = true\nauth_token = "tok"\n', "4.5.0", "4.6.0", mode="rebase")
    assert data["apim"]["analytics"] == {"enable": True, "auth_token": "tok"}
    assert any(e.action == "review" and e.new_key == "apim.analytics.type" and e.rule == "r460-analytics-moesif-stock"
               for e in entries)
    assert not [e for e in entries if e.rule == "r460-moesif-key-required"]


def test_w8_an_untouched_analytics_table_follows_the_new_stock_file():
    data, entries = run('[apim.analytics]\nenable = false\nauth_token = ""\n', "4.5.0", "4.6.0", mode="rebase")
    assert data["apim"]["analytics"]["type"] == "moesif"
    assert not [e for e in entries if e.rule in ("r460-analytics-moesif-stock", "r460-moesif-key-required")]


def test_moesif_key_is_required_in_a_rebase_too():
    data, entries = run('[apim.analytics]\nenable = true\n', "4.5.0", "4.6.0", mode="rebase")
    assert data["apim"]["analytics"]["type"] == "moesif"
    assert any(e.action == "review" and e.new_key == "apim.analytics.properties.moesifKey" for e in entries)


def test_moesif_key_is_not_asked_of_another_analytics_type():
    _, entries = run('[apim.analytics]\nenable = true\ntype = "elk"\n', "4.5.0", "4.6.0", mode="edit")
    assert not [e for e in entries if e.rule == "r460-moesif-key-required"]


def test_w9_keep_old_defaults_does_not_turn_stack_traces_on():
    data, entries = run('[server]\nhostname = "a.example.com"\n', "4.1.0", "4.2.0", mode="edit", keep_old_defaults=True)
    assert "send_stacktrace_details_with_faults" not in data["server"]
    assert not [e for e in entries if e.new_key == "server.send_stacktrace_details_with_faults"]


def test_w10_an_explicit_false_survives_to_430():
    data, _ = run(
        "[authentication.jit_provisioning]\nassociating_to_existing_user = false\n", "4.1.0", "4.3.0", mode="edit"
    )
    assert data["authentication"]["jit_provisioning"]["associating_to_existing_user"] is False


def test_w5_a_users_own_environment_gets_a_gateway_type_in_a_rebase():
    text = '[[apim.gateway.environment]]\nname = "Default"\ntype = "hybrid"\n\n[[apim.gateway.environment]]\nname = "Edge"\ntype = "hybrid"\n'
    data, _ = run(text, "4.2.0", "4.3.0", mode="rebase")
    environments = {e["name"]: e for e in data["apim"]["gateway"]["environment"]}
    assert (
        environments["Edge"].get("gateway_type") == "Regular" and environments["Default"]["gateway_type"] == "Regular"
    )


def test_x4_an_enabled_handler_stays_enabled_in_a_rebase():
    text = ('enabled_global_handlers = ["audit"]\n\n[synapse_handlers.audit]\nname = "audit"\n'
            'class = "com.example.Audit"\n')
    data, _ = run(text, "3.2.0", "4.0.0", mode="rebase")
    assert data["synapse_handlers"]["audit"] == {"class": "com.example.Audit", "enabled": True}
    assert "enabled_global_handlers" not in data


def test_list_to_keys_turns_a_disabled_handler_on_and_drops_an_empty_list():
    text = 'enabled_global_handlers = ["audit"]\n\n[synapse_handlers.audit]\nclass = "com.example.Audit"\nenabled = false\n'
    result = migrate_toml(text.encode(), "d.toml", Options("3.2.0", "4.0.0", mode="edit"))
    assert tomllib.loads(result.output) == {
        "synapse_handlers": {"audit": {"class": "com.example.Audit", "enabled": True}}
    }
    actions = {e.old_key: e.action for e in result.report.entries if e.old_key}
    assert actions == {"enabled_global_handlers": "removed", "synapse_handlers.audit.class": "kept",
                       "synapse_handlers.audit.enabled": "changed"}
    empty = migrate_toml(b"enabled_global_handlers = []\n", "d.toml", Options("3.2.0", "4.0.0", mode="edit"))
    assert empty.output.strip() == ""
    assert [e.action for e in empty.report.entries if e.old_key == "enabled_global_handlers"] == ["removed"]
