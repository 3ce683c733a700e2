"""Mutation testing of the core modules with mutmut (``make mutate``; tests/MUTATION.md).

Each module runs in its own copy of the checkout under ``build/mutate/<module>/`` with the
test files that exercise it (on SQLite; ``--database URL`` adds that PostgreSQL database,
as ``.ci/run`` tests), so one module's run is bounded and a later run
resumes where an interrupted one stopped (mutmut keeps each verdict in ``mutants/``).
At the end it prints, per module, the mutants killed, survived and not run, and the kill
ratio; the survivors that are equivalent (no test can tell them apart from the original)
are listed with the reason in tests/MUTATION.md and counted separately.

    python scripts/mutate.py [--budget SECONDS] [--jobs N] [--sample N] [--database URL]
                             [module ...]

``--budget`` bounds each module's run (default 900 s); a module cut short reports the
mutants it did not reach. ``--sample N`` tests N mutants of each module drawn at random
(a fixed seed per module, so a later run extends the same sample) instead of all of them:
mutmut runs the mutants of quickly tested functions first, so a run cut by its budget
would otherwise judge a biased part. ``--report`` only prints the table of the last runs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutate"
MUTATION_MD = ROOT / "tests" / "MUTATION.md"


def _tests(module: str, *names: str) -> list[str]:
    """The node ids of the tests ``names`` of ``tests/<module>.py``."""
    return [f"tests/{module}.py::{name}" for name in names]


# module -> (the files mutated, the test files that exercise them)
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "negotiation": (
        ["flask_jsonapi/negotiation.py"],
        [
            "tests/test_negotiation.py",
            "tests/test_jsonapi_11.py",
            "tests/test_cursor_pagination.py",
        ],
    ),
    "links": (
        ["flask_jsonapi/links.py"],
        [
            "tests/test_links.py",
            "tests/test_pagination.py",
            "tests/test_cursor_pagination.py",
            "tests/test_relationship_endpoints.py",
            "tests/test_compat_query_string.py",
            "tests/test_conditional.py",  # links of a relationship in an atomic If-Match
            # LinkBuilder._template: a type served by two view sets links to the one that served
            "tests/test_upgrading.py::test_links_and_location_follow_the_view_set_that_served",
        ],
    ),
    "document": (
        ["flask_jsonapi/document.py"],
        [
            "tests/test_creating.py",
            "tests/test_updating.py",
            "tests/test_relationship_endpoints.py",
            "tests/test_hostile_input.py",
            "tests/test_errors.py",
            "tests/test_include.py",
            "tests/test_sparse_fieldsets.py",  # fields[TYPE] of included resources
            "tests/test_upgrading.py",  # includes of a relationship over a foreign key
            # object checks (Policy.visible) on primary data, linkage and included
            "tests/test_security.py::test_counts_and_linkage_count_only_visible_rows",
            "tests/test_security.py::test_reads_show_nothing_hidden",
            "tests/test_security.py::test_linkage_without_include_names_no_row_an_object_check_hides",
            # @-members ignored (DOC-13); the jsonapi member's profile list (PROF-1)
            "tests/test_jsonapi_11.py::test_doc_13_at_members_are_ignored",
            "tests/test_cursor_pagination.py::test_cursor_links_and_profile_media_type_prof_1",
            "tests/test_enum_ids.py",  # ids whose str() is not their document form
        ],
    ),
    "filtering": (
        ["flask_jsonapi/resource_repositories/filtering.py"],
        [
            "tests/test_filtering.py",
            "tests/test_filter_expressions.py",
            "tests/test_null_semantics.py",
            "tests/test_out_of_range_integers.py",  # integer_range, integer_bits
            # joins that are no equality, SMALLINT, a relationship over its foreign key
            "tests/test_filter_shapes.py",
            # the policy's scope on the related rows a filter goes through
            "tests/test_security.py::test_filter_through_relationship_is_no_oracle",
            # a filter key naming no attribute, from code calling get_list itself
            "tests/test_public_repositories.py::test_filter_key_naming_no_attribute_is_invalid_filters",
            # a relationship over its foreign-key column
            "tests/test_upgrading.py::test_a5_relationship_over_a_foreign_key_filters_and_includes",
            # errors naming the parameter the client wrote (FilterKey)
            "tests/test_filter_parameters.py",
            "tests/test_security.py::test_a_declared_filter_over_a_hidden_field_names_the_clients_parameter_flt_1",
            # plain keys from code: the parameter rebuilt, the original's words
            "tests/test_public_repositories.py::test_flt_plain_filter_keys_from_code_get_the_querys_errors",
            # integer columns typed by a TypeDecorator; a type naming no Python type
            "tests/test_integer_type_decorators.py",
            "tests/test_untyped_columns.py",
        ],
    ),
    "operations": (
        ["flask_jsonapi/operations.py"],
        [
            "tests/test_atomic_operations.py",
            "tests/test_atomic_errors.py",
            "tests/test_plain_session.py",
            # Elsewhere, only the tests that reach operations.py (coverage of each test):
            # meta.ifMatch, the operations limit, href of another API, view decorators,
            # hidden rows and members, required relationships, the atomic media type.
            *_tests(
                "test_conditional",
                "test_atomic_fresh_preconditions_pass_and_see_earlier_operations",
                "test_atomic_precondition_errors",
                "test_atomic_relationship_precondition_ignores_the_operations_query",
                "test_atomic_requires_if_match_where_the_resource_does",
                "test_atomic_stale_precondition_fails_the_whole_request",
            ),
            *_tests("test_versioned_etags", "test_atomic_if_match_takes_the_version_tag"),
            *_tests(
                "test_limits",
                "test_atomic_href_naming_another_api_is_400_and_acts_on_nothing",
                "test_atomic_href_of_this_api_acts",
                "test_atomic_href_with_the_default_https_port_acts",
                "test_atomic_href_below_the_apps_mount_point_acts",
                "test_atomic_href_outside_the_apps_mount_point_is_400",
                "test_atomic_href_of_a_url_that_names_no_resource_is_400",
                "test_too_many_atomic_operations_is_413_and_runs_none",
                "test_operations_limit_is_a_config_key",
            ),
            *_tests(
                "test_security",
                "test_atomic_operations_cannot_touch_hidden_rows",
                "test_atomic_operations_on_visible_rows_keep_hidden_members",
                "test_decorators_guard_atomic_operations",
                "test_atomic_results_leave_hidden_fields_out",
                "test_atomic_operations_follow_the_views_own_checker",
            ),
            *_tests(
                "test_concurrent_writes",
                "test_tx_1_atomic_conflict_is_retried_in_a_new_transaction",
                "test_tx_1_atomic_conflict_through_hand_written_hooks_is_409_at_once",
            ),
            *_tests(
                "test_required_relationships",
                "test_atomic_add_without_required_to_one_points_into_the_operation_atom_18",
            ),
            *_tests(
                "test_jsonapi_11",
                "test_cn_4_atomic_errors_carry_the_extension",
                "test_doc_11_cn_4_atomic_response",
            ),
            *_tests(
                "test_client_ids_and_constraints",
                "test_atom_19_crt_3_atomic_add_keeps_a_client_id",
            ),
        ],
    ),
    "query": (
        ["flask_jsonapi/query/*.py"],
        [
            "tests/test_filter_parameters.py",  # FilterKey: the client's parameter
            "tests/test_security.py::test_a_declared_filter_over_a_hidden_field_names_the_clients_parameter_flt_1",
            "tests/test_query_parameters.py",
            "tests/test_include.py",
            "tests/test_sorting.py",
            "tests/test_sparse_fieldsets.py",
            "tests/test_pagination.py",
            "tests/test_cursor_pagination.py",
            "tests/test_memory_cursor_pagination.py",  # cursor._sort_values: items without keys
            "tests/test_filter_expressions.py",
            # query/hidden.py: the members a policy hides
            "tests/test_security.py::test_hidden_fields_are_unknown_everywhere",
            # query/hidden.py: the types a request reaches, which a view set's decorators guard
            "tests/test_security.py::test_decorators_guard_every_read_that_reaches_the_type",
            "tests/test_security.py::test_decorators_guard_filters_and_sorts_through_the_type",
            "tests/test_hostile_input.py::test_nul_in_a_query_value_is_400_naming_the_parameter",
            "tests/test_hostile_input.py::test_huge_page_number_is_400_naming_the_parameter",
            # query/hidden.py: a hidden member inside a filter expression (_filter_keys), a
            # hidden relationship in include (_check_tree), a hidden member stored under
            # another attribute name (_hidden_path by attribute)
            "tests/test_security.py::test_hidden_fields_are_unknown_in_filter_expressions_flt_1",
            "tests/test_security.py::test_a_hidden_relationship_cannot_be_included_inc_6",
            "tests/test_security.py::"
            "test_a_hidden_member_stored_under_another_name_cannot_sort_srt_3",
            # parser._parse_filters: a declared FilterSchema, not the schema's attributes
            "tests/test_filtering.py::test_declared_filter_schema_allows_only_its_filters_flt_3",
            "tests/test_filtering.py::test_declared_filter_schema_overriding_the_originals_parse_flt_1",
            # cursor.convert_value: UUID, Numeric and Date sort keys read back from a cursor
            "tests/test_cursor_column_types.py",
            # parser._sort_path, parse_include: a sort or include path past a type no view
            # set serves
            "tests/test_startup_validation.py::"
            "test_sort_through_a_relationship_to_a_type_no_view_set_serves_is_400_srt_3",
            "tests/test_startup_validation.py::test_relationship_to_a_type_no_view_set_serves",
            # hidden.py: a hand-built FilterSchema.parse (plain keys), a fieldset of a type
            # with hidden members, decorators of a type two relationships away
            "tests/test_security.py::"
            "test_a_hidden_filter_of_a_hand_built_parse_names_the_clients_parameter_flt_1",
            "tests/test_security.py::test_a_sparse_fieldset_of_a_type_with_hidden_members_is_kept_fld_1",
            "tests/test_security.py::test_decorators_guard_a_type_two_relationships_away",
            # parser: IncludeNode.member in an error; the linkage-only nodes of load_tree
            "tests/test_row_reads.py::"
            "test_relationship_never_loaded_whole_is_not_included_but_read_inc_6_rel_3",
            "tests/test_security.py::test_linkage_without_include_names_no_row_an_object_check_hides",
        ],
    ),
    "row_reads": (
        ["flask_jsonapi/resource_repositories/row_reads.py"],
        [
            "tests/test_row_reads.py",
            "tests/test_fetching.py",
            "tests/test_include.py",
            "tests/test_sparse_fieldsets.py",
            "tests/test_sorting.py",
            "tests/test_pagination.py",
            "tests/test_related_endpoints.py",
            "tests/test_demo_drafts.py",  # _Reads.scoped: a policy's scope on detail and includes
            "tests/test_self_referential.py",  # relation_join: the association table's ON clause
            "tests/test_inheritance.py",  # _plain_mapper: joined-table inheritance
            # listened/_internal: SQLAlchemy's own listeners keep the row writes' fast path
            "tests/test_row_writes.py::test_create_with_author_is_one_statement_crt_1",
        ],
    ),
    "row_writes": (
        ["flask_jsonapi/resource_repositories/row_writes.py"],
        [
            "tests/test_row_writes.py",
            "tests/test_creating.py",
            "tests/test_updating.py",
            "tests/test_client_ids_and_constraints.py",
            "tests/test_atomic_operations.py",
            "tests/test_demo_drafts.py",  # the related row's scope (a hidden draft)
            # a computed attribute sent; a missing related row where SQLite stores any key
            "tests/test_row_write_shapes.py",
            # the writes that stay in the session's transaction (a listener, If-Match, ...)
            "tests/test_direct_writes.py",
        ],
    ),
    "services": (
        ["flask_jsonapi/services.py"],
        [
            "tests/test_creating.py",
            "tests/test_updating.py",
            "tests/test_deleting.py",
            "tests/test_fetching.py",
            "tests/test_relationship_writes.py",
            "tests/test_required_relationships.py",
            "tests/test_transactions.py",
            "tests/test_allowed_actions.py",
            "tests/test_allowed_actions_relationships.py",
            "tests/test_permissions.py",
            "tests/test_upgrading.py",
            "tests/test_client_ids_and_constraints.py",
            "tests/test_out_of_range_integers.py",
            "tests/test_atomic_operations.py",
            # Elsewhere, only the tests that reach lines of services.py the files above do
            # not (coverage of each test): policy fields and hidden rows, integer columns,
            # lids, an atomic error's pointer prefix.
            *_tests(
                "test_security",
                "test_actions_the_policy_refuses_are_403",
                "test_atomic_operations_cannot_touch_hidden_rows",
                "test_atomic_operations_on_visible_rows_keep_hidden_members",
                "test_counts_and_linkage_count_only_visible_rows",
                "test_hidden_fields_are_unknown_everywhere",
                "test_read_only_fields_are_shown_not_written",
                "test_replacing_members_keeps_hidden_ones",
                "test_writes_cannot_touch_hidden_rows",
                "test_a_policy_that_refuses_reading_is_403",
                "test_a_policy_asked_per_action_for_each_relationship",
                "test_removing_members_keeps_hidden_ones_and_is_undone_with_its_request",
                "test_a_hidden_member_in_a_body_is_an_unknown_one",
                "test_adding_a_visible_member_keeps_the_hidden_ones",
                "test_a_row_hidden_by_an_object_check_answers_like_a_missing_one",
                "test_a_policy_that_refuses_writing_points_at_the_resource",
            ),
            *_tests(
                "test_limits",
                "test_integer_attribute_past_a_32_bit_column_is_422",
                "test_integer_attribute_that_no_column_holds_is_422",
                "test_whole_numbers_for_an_integer_attribute_are_kept",
            ),
            *_tests("test_jsonapi_11", "test_id_6_unknown_lid_in_linkage_is_404"),
            # the related collection read through the row reader (fetch_many)
            *_tests("test_related_endpoints", "test_fet_3_to_many_related_collection"),
            # a PATCH and a POST take the row writer: one statement (update, create)
            *_tests(
                "test_row_writes",
                "test_patch_title_is_one_statement_upd_2",
                "test_create_with_author_is_one_statement_crt_1",
            ),
            # member writes that hold whatever the rows are by now (_member_writer), under
            # the parent's row lock (_replace_members)
            *_tests(
                "test_concurrent_writes",
                "test_upd_4_patch_replaces_from_the_rows_not_a_loaded_collection",
                "test_urel_5_duplicate_identifiers_are_one_member",
                "test_tx_1_conflict_on_every_try_is_409",
            ),
            # integer columns: decorated, nullable, 64-bit (_check_integer_columns); cursor
            # pages uncounted (fetch_many); an update answering nothing (update); a parent
            # gone before its lock (_lock)
            "tests/test_integer_type_decorators.py",
            *_tests("test_cursor_pagination", "test_count_on_request_prof_4"),
            *_tests(
                "test_public_repositories", "test_upd_an_update_answering_nothing_is_read_back"
            ),
            *_tests(
                "test_concurrent_writes",
                "test_urel_15_parent_gone_before_its_lock_answers_as_a_missing_one",
            ),
            # a write that leaves the policy's scope, through the ORM too (update)
            *_tests(
                "test_demo_drafts", "test_a_write_out_of_the_writers_reach_is_403_on_every_path"
            ),
            # the cursors of a page (fetch_many); the ORM path's eager loads (its statements)
            *_tests("test_cursor_pagination", "test_cursor_pages_follow_the_sort_pag_4"),
            *_tests("test_row_reads", "test_big_page_is_four_statements_without_chunks_inc_5"),
            # an update hook of the user's answering a new record (change_members)
            *_tests(
                "test_relationship_endpoints",
                "test_urel_2_answer_is_the_written_record_of_the_hooks",
            ),
            *_tests(
                "test_atomic_errors", "test_atom_16_validation_error_points_into_the_operation"
            ),
        ],
    ),
}

# mutmut's exit codes of a mutant's test run, as its `results` command names them.
KILLED = {1, 3, 24, -24, 36, 152, 255}  # a failing test, or a timeout (an endless loop)
SURVIVED = {0}
COPIED = ["flask_jsonapi", "examples", "tests", "scripts", "pyproject.toml"]


def prepare(module: str) -> Path:
    """A copy of the checkout for ``module`` with its mutmut settings (``setup.cfg``)."""
    files, tests = MODULES[module]
    work = WORK / module
    work.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        source, target = ROOT / name, work / name
        if source.is_dir():
            shutil.copytree(
                source,
                target,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "node_modules", "*.db"),
            )
        else:
            shutil.copy2(source, target)
    # mutmut reads [tool.mutmut] from pyproject.toml first, then setup.cfg: ours has none.
    lines = "\n    ".join
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        "source_paths = flask_jsonapi\n"
        f"only_mutate =\n    {lines(files)}\n"
        "also_copy =\n    examples/\n    scripts/\n"
        f"pytest_add_cli_args_test_selection =\n    {lines(tests)}\n"
        "pytest_add_cli_args =\n    -p no:cacheprovider\n    -p scripts.mutate_plugin\n    -q\n"
        "use_git_change_detection = false\n"
    )
    return work


def run(
    module: str, budget: float, jobs: int, sample: int | None = None, database: str = ""
) -> bool:
    """Run mutmut for ``module`` for at most ``budget`` seconds; whether it finished."""
    work = prepare(module)
    env = {**os.environ, "JSONAPI_TEST_DATABASE_URL": database, "PYTHONDONTWRITEBYTECODE": "1"}
    mutmut = Path(sys.executable).with_name("mutmut")
    log = (WORK / f"{module}.log").open("a")
    print(f"== {module}: mutmut run (budget {budget:.0f} s, log build/mutate/{module}.log)")
    started = time.monotonic()
    names: list[str] = []
    if sample is not None:
        # A name no mutant has: mutmut generates the mutants and maps the tests, then stops.
        subprocess.run([str(mutmut), "run", "no.such.mutant"], cwd=work, env=env, stdout=log,
                       stderr=subprocess.STDOUT, check=False)  # fmt: skip
        found = verdicts(module)
        if not found:
            print("   mutmut generated no mutants: see the log")
            return False
        names = sorted(found)
        random.Random(module).shuffle(names)
        names = [name for name in names[:sample] if found[name] is None]
        if not names:
            print("   the sample is judged already")
            return True
    process = subprocess.Popen(
        [str(mutmut), "run", "--max-children", str(jobs), *names],
        cwd=work,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = started + budget
    cut = False
    while process.poll() is None:
        # mutmut may linger after its last verdict (its workers): every mutant has one.
        if judged(module, names) or time.monotonic() > deadline:
            cut = not judged(module, names)
            time.sleep(0 if cut else 10)
            _stop(process)
            break
        time.sleep(10)
    elapsed = time.monotonic() - started
    with (WORK / f"{module}.seconds").open("a") as seconds:
        seconds.write(f"{elapsed:.0f}\n")
    why = "budget" if cut else f"exit {process.returncode}"
    finished = judged(module, names)
    print(f"   {elapsed:.0f} s ({'all tested' if finished else why})")
    return finished


def judged(module: str, names: list[str]) -> bool:
    """Whether each of ``names`` (all the module's mutants if empty) has a verdict."""
    found = verdicts(module)
    return bool(found) and all(found.get(name) is not None for name in names or found)


def _stop(process: subprocess.Popen) -> None:
    """End mutmut and its workers (SIGINT only makes it move on to the next mutant)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def verdicts(module: str) -> dict[str, int | None]:
    """Each mutant of ``module`` and mutmut's exit code for it (``None``: not run yet)."""
    found: dict[str, int | None] = {}
    for meta in sorted((WORK / module / "mutants").rglob("*.py.meta")):
        try:
            found.update(json.loads(meta.read_text())["exit_code_by_key"])
        except json.JSONDecodeError:
            continue  # mutmut is rewriting it: read again at the next poll
    return found


def equivalent_mutants() -> set[str]:
    """The survivors tests/MUTATION.md lists as equivalent: the ``| `name` |`` rows of its
    section "Equivalent survivors"."""
    if not MUTATION_MD.exists():
        return set()
    text = MUTATION_MD.read_text().split("## Equivalent survivors", 1)[-1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([\w.]+__mutmut_\d+)` \|", text, re.M))


def report(modules: list[str]) -> list[str]:
    """Print the table; answer the survivors not listed as equivalent."""
    equivalent = equivalent_mutants()
    unexplained: list[str] = []
    print()
    print(f"{'module':<12} {'mutants':>7} {'killed':>6} {'survived':>8} {'equiv.':>6} "
          f"{'no test':>7} {'not run':>7} {'kill ratio':>10} {'run':>7}")  # fmt: skip
    for module in modules:
        found = verdicts(module)
        if not found:
            print(f"{module:<12} {'(not run)':>7}")
            continue
        killed = [k for k, v in found.items() if v in KILLED]
        survived = [k for k, v in found.items() if v in SURVIVED]
        no_tests = [k for k, v in found.items() if v in (5, 33)]
        not_run = [k for k, v in found.items() if v is None or v in (2, 34)]
        known = [k for k in survived if k in equivalent]
        unexplained += [k for k in survived + no_tests if k not in equivalent]
        judged = len(killed) + len(survived) + len(no_tests) - len(known)
        ratio = f"{100 * len(killed) / judged:.1f} %" if judged else "-"
        times = WORK / f"{module}.seconds"
        spent = sum(map(int, times.read_text().split())) if times.exists() else 0
        print(f"{module:<12} {len(found):>7} {len(killed):>6} {len(survived):>8} "
              f"{len(known):>6} {len(no_tests):>7} {len(not_run):>7} {ratio:>10} "
              f"{spent:>6}s")  # fmt: skip
    print("kill ratio = killed / (mutants run - survivors tests/MUTATION.md shows equivalent)")
    print("run = the seconds of every run of the module so far (build/mutate/<module>.seconds)")
    if unexplained:
        print(f"\n{len(unexplained)} survivors not listed as equivalent in tests/MUTATION.md:")
        for name in sorted(unexplained):
            print(f"  {name}")
    return unexplained


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=f"of: {' '.join(MODULES)} (default: all)")
    parser.add_argument("--budget", type=float, default=900.0, help="seconds per module")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--sample", type=int, help="test N mutants per module, drawn at random")
    parser.add_argument("--report", action="store_true", help="only print the last results")
    parser.add_argument(
        "--database",
        default="",
        help="a PostgreSQL URL: every test runs on it too (a fresh build/mutate/<module> "
        "per database: verdicts of one are not the other's)",
    )
    args = parser.parse_args()
    modules = args.modules or list(MODULES)
    unknown = set(modules) - set(MODULES)
    if unknown:
        parser.error(f"unknown modules: {' '.join(sorted(unknown))}")
    if not args.report:
        for module in modules:
            run(module, args.budget, args.jobs, args.sample, args.database)
    report(modules)
    return 0


if __name__ == "__main__":
    sys.exit(main())
