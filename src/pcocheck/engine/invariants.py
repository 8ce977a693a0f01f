"""Evaluation of FHIR invariants (``ElementDefinition.constraint``).

Three ways to evaluate a constraint, chosen once per distinct expression:

``native``
    hand-written Python for the invariants checked on (almost) every element or
    resource, or costly through fhirpathpy on common resources: ele-1, ext-1, dom-2..6,
    per-1, qty-3, sqty-1, ref-1, txt-1/2, obs-7, bdl-4/8/11/12, org-1, con-3, tim-4/5,
    rng-2, drt-1, dis-1 and US Core's us-core-1/16/17
    (:mod:`pcocheck.engine.invariants_native`). Used only when both the key and the
    expression are the ones the native check was written for.
``fast``
    boolean combinations of existence checks and literal comparisons, compiled to
    closures (:mod:`pcocheck.engine.fhirpath_fast`).
``fhirpath``
    everything else, through fhirpathpy with the R4 model, compiled once, with the
    functions of :mod:`pcocheck.engine.fhirpath_functions` added or fixed.

Results: ``[true]`` passes, ``[false]`` fails, and so does an empty result (FHIRPath's
"unknown", e.g. comparing dates of different precision): an invariant SHALL be true, and
the HL7 reference validator counts an empty result as a failure; the R4 expressions that
are empty on valid content for lack of an ``exists()`` guard are corrected by
:mod:`pcocheck.engine.errata`. A single non-boolean item counts as true (FHIRPath §4.5).
An expression that does not parse, calls an unknown function, raises while it is
evaluated, needs a terminology or conformance answer that is not available, or returns
several items gives
``InvariantOutcome(None, error=...)``: the caller reports it, it is never a pass.

All three ways give the same answers (tests compare them on every R4 core expression).
Where fhirpathpy 2.2.4 and the FHIR specification / HL7 validator disagree, the
specification wins: see :mod:`pcocheck.engine.fhirpath_functions` for what is replaced
(``is DateTime`` on FHIR dateTimes, date and Quantity comparisons, ``as``/``in`` on
collections, primitive ``_x`` companions, silent ``trace``); the one remaining
difference is ele-1 on an element whose only child is an ``_x`` companion (natively a
child, as the specification says; fhirpathpy's ``children()`` skips it).
"""

from __future__ import annotations

import functools
import importlib
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Final

from pcocheck.definitions.model import Constraint
from pcocheck.engine.fhirpath_errors import UncertainResult
from pcocheck.engine.fhirpath_fast import BoolFn, compile_fast
from pcocheck.engine.fhirpath_model import (
    GENERIC_TYPES,
    R4_MODEL,
    child_type_path,
    locate_paths,
)
from pcocheck.engine.invariants_native import (
    NATIVE,
    NATIVE_BY_EXPRESSION,
    NATIVE_VARIANTS,
    QUICK_PASS,
    NativeCheck,
    NativeContext,
    normalise,
)


def _fp_compile(expression: str, **options: Any) -> Any:
    """fhirpathpy.compile (a module-level name: tests count the compilations)."""
    return _fp().compile(expression, **options)


Resolver = Callable[[str], dict[str, Any] | None]
MemberOf = Callable[[str, str | None, str | None], bool | None]
ConformsTo = Callable[[dict[str, Any], str], bool | None]


@functools.cache
def _fp() -> Any:
    """fhirpathpy, its ANTLR parser and pcocheck's function table, imported on first use:
    about 50 ms of start-up that a run whose invariants are all native or fast (the
    usual case) never pays. fhirpathpy and antlr4 are untyped: held as Any."""
    fhirpathpy: Any = importlib.import_module("fhirpathpy")
    engine: Any = importlib.import_module("fhirpathpy.engine")
    invocations: Any = importlib.import_module("fhirpathpy.engine.invocations")
    constants: Any = importlib.import_module("fhirpathpy.engine.invocations.constants")
    nodes: Any = importlib.import_module("fhirpathpy.engine.nodes")
    lexer: Any = importlib.import_module("fhirpathpy.parser.generated.FHIRPathLexer")
    parser: Any = importlib.import_module("fhirpathpy.parser.generated.FHIRPathParser")
    functions: Any = importlib.import_module("pcocheck.engine.fhirpath_functions")
    table = functions.invocation_table()
    return SimpleNamespace(
        antlr4=importlib.import_module("antlr4"),
        compile=fhirpathpy.compile,
        do_eval=engine.do_eval,
        reset_constants=constants.constants.reset,
        create_node=nodes.ResourceNode.create_node,
        ResourceNode=nodes.ResourceNode,
        Lexer=lexer.FHIRPathLexer,
        Parser=parser.FHIRPathParser,
        table=table,
        known_functions=frozenset(invocations.invocation_registry) | frozenset(table),
        STATE_KEY=functions.STATE_KEY,
        EvaluationState=functions.EvaluationState,
    )


NATIVE_KEYS: Final = frozenset(NATIVE) | frozenset(key for key, _, _ in NATIVE_VARIANTS)

#: Environment variables every invariant may use.
BASE_VARIABLES: Final[dict[str, str]] = {
    "ucum": "http://unitsofmeasure.org",
    "sct": "http://snomed.info/sct",
    "loinc": "http://loinc.org",
}
_NAMED_VARIABLE = re.compile(r"%`(vs|ext)-([^`]+)`")
_ROOT_VARIABLES: Final = ("%rootResource", "resolve(")


@dataclass(frozen=True, slots=True)
class InvariantOutcome:
    """``passed`` is ``None`` when the invariant could not be evaluated (``error`` says why)."""

    passed: bool | None
    error: str | None = None


PASSED: Final = InvariantOutcome(True)
FAILED: Final = InvariantOutcome(False)
_TRUE: Final = [True]
_FALSE: Final = [False]


@dataclass(frozen=True, slots=True)
class _Plan:
    kind: str  # native | fast | fhirpath | error
    native: NativeCheck | None = None
    fast: BoolFn | None = None
    parsed: Any = None
    variables: dict[str, str] | None = None
    needs_root: bool = False
    error: str | None = None


class _StrictErrors:
    """An antlr4 error listener that raises on the first syntax error."""

    def syntaxError(
        self, recognizer: Any, offending: Any, line: int, column: int, msg: str, e: Any
    ) -> None:
        raise SyntaxError(f"column {column + 1}: {msg}")

    def reportAmbiguity(self, *args: Any) -> None:
        return

    def reportAttemptingFullContext(self, *args: Any) -> None:
        return

    def reportContextSensitivity(self, *args: Any) -> None:
        return


def check_syntax(expression: str) -> None:
    """Raise ``SyntaxError`` unless ``expression`` is complete, valid FHIRPath.

    fhirpathpy's parser ignores syntax errors and evaluates whatever prefix it
    recognised (``a b c`` evaluates as ``a``); this uses its grammar strictly.
    """
    fp = _fp()
    listener = _StrictErrors()
    lexer = fp.Lexer(fp.antlr4.InputStream(expression))
    lexer.removeErrorListeners()
    lexer.addErrorListener(listener)
    stream = fp.antlr4.CommonTokenStream(lexer)
    parser = fp.Parser(stream)
    parser.removeErrorListeners()
    parser.addErrorListener(listener)
    parser.expression()
    if stream.LA(1) != fp.antlr4.Token.EOF:
        raise SyntaxError(f"unexpected text after column {stream.LT(1).start}")


# Time budgets for fhirpathpy evaluations (seconds): a hostile or careless expression in
# a loaded definition (``descendants()`` on a huge resource, ``repeat`` loops) must not
# hold the run. Enforced with SIGALRM in the main thread; elsewhere only the per-resource
# total is kept.
EXPRESSION_BUDGET_S = 2.0
RESOURCE_BUDGET_S = 10.0


class _OutOfTime(Exception):
    pass


_alarm_active = False  # only an armed budget raises; a late, already-queued signal does not


def _on_alarm(signum: int, frame: Any) -> None:
    if _alarm_active:
        raise _OutOfTime


def _disarm_alarm() -> None:
    global _alarm_active
    _alarm_active = False
    signal.setitimer(signal.ITIMER_REAL, 0)


def _arm_alarm(seconds: float) -> bool:
    """Schedule ``_OutOfTime`` in ``seconds``; False when that is not possible here (not
    the main thread, no setitimer, or SIGALRM already used by someone else)."""
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    current = signal.getsignal(signal.SIGALRM)
    if current is not _on_alarm:
        if current not in (signal.SIG_DFL, None):
            return False
        signal.signal(signal.SIGALRM, _on_alarm)
    # Repeats every 50 ms until disarmed: an exception raised while the interpreter runs a
    # gc callback or a finalizer is swallowed there, so one alarm alone could be lost.
    global _alarm_active
    _alarm_active = True
    signal.setitimer(signal.ITIMER_REAL, seconds, 0.05)
    return True


class InvariantEvaluator:
    """Evaluates constraints; compiled plans are cached per (key, expression).

    ``resolver`` maps a reference string (``Patient/1``, ``urn:uuid:...``) to the
    resource it points to (``#id`` references are resolved locally);
    ``member_of(value_set, system, code)`` and ``conforms_to(resource, profile)``
    answer ``memberOf()`` and ``conformsTo()`` (``None`` = unknown, which makes the
    invariant unevaluable rather than passed). ``accelerate=False`` sends every
    expression through fhirpathpy (for tests and benchmarks).
    """

    def __init__(
        self,
        *,
        resolver: Resolver | None = None,
        member_of: MemberOf | None = None,
        conforms_to: ConformsTo | None = None,
        accelerate: bool = True,
    ) -> None:
        self.resolver = resolver
        self.accelerate = accelerate
        self.member_of = member_of
        self.conforms_to = conforms_to
        self._plans: dict[tuple[str, str], _Plan] = {}
        self._compiled: dict[str, _Plan] = {}
        self._static_types: dict[str, str | None] = {}
        self._paths: dict[str, str] = {}
        self._located: tuple[dict[str, Any], dict[int, str]] | None = None
        self._containers: tuple[dict[str, Any], dict[int, dict[str, Any]]] | None = None
        self._native_context = NativeContext(self.root_of)
        self._budget_owner: dict[str, Any] | None = None
        self._budget_used = 0.0

    # -- public API ------------------------------------------------------------------
    def native(self, key: str) -> bool:
        """Whether ``key`` is checked natively (when its expression is the R4 one)."""
        return key in NATIVE_KEYS

    def strategy(self, constraint: Constraint) -> str:
        """How ``constraint`` is evaluated: ``native``, ``fast``, ``fhirpath`` or ``error``."""
        return self._plan(constraint).kind

    def evaluate(
        self,
        constraint: Constraint,
        node: Any,
        *,
        resource: dict[str, Any],
        root: dict[str, Any],
        type_name: str,
        path: str | None = None,
        resolver: Resolver | None = None,
        variables: dict[str, Any] | None = None,
    ) -> InvariantOutcome:
        """Evaluate ``constraint`` on ``node``.

        ``type_name`` is the FHIR type of ``node``; for a backbone element (type
        ``BackboneElement``/``Element``) pass its element ``path``
        (``Observation.component``) or the evaluator finds it in ``resource``.
        ``root`` is the outermost resource that was read (the Bundle, or the container);
        ``%rootResource`` is derived from it: the container of ``resource`` if
        ``resource`` is a contained resource, else ``resource`` itself. ``resolver``
        (the run's resolver for this resource) answers ``resolve()``, else the one given
        at construction. ``variables`` adds environment variables (``%extension`` for an
        extension's contextInvariant); an expression that names one is never native or fast.
        """
        plan = self._plans.get((constraint.key, constraint.expression or ""))
        if plan is None:
            plan = self._plan(constraint)
        if plan.error is not None:
            return InvariantOutcome(None, plan.error)
        type_path = self._static_types.get(type_name) if path is None else None
        if type_path is None:
            type_path = self._type_path(node, type_name, path, resource)
        try:
            if plan.native is not None:
                context = self._native_context
                context.bind(type_path, resource, root)
                result = plan.native(node, context)
            elif plan.fast is not None:
                result = plan.fast([(node, type_path)])
            else:
                return self._run_within_budget(
                    plan, node, type_path, resource, root, resolver, constraint.key, variables
                )
            if result == _TRUE:
                return PASSED
            if result == _FALSE:
                return FAILED
            return _verdict(result)
        except UncertainResult as uncertain:
            return InvariantOutcome(None, str(uncertain))
        except RecursionError:
            return InvariantOutcome(None, "expression too deeply nested to evaluate")
        except Exception as error:  # fhirpathpy raises bare Exceptions
            return InvariantOutcome(None, _describe(error))

    def prepare(
        self, constraint: Constraint, type_name: str, path: str | None = None
    ) -> Callable[[Any, dict[str, Any], dict[str, Any]], bool] | None:
        """A quick pre-check ``(node, resource, root) -> passed`` for a native or fast
        constraint on a node whose type path is known in advance, else None.

        True means :meth:`evaluate` would return a pass (the caller skips it); False means
        "ask :meth:`evaluate`", which then gives the exact outcome (a failure, an error,
        an uncertain answer). Arguments as for :meth:`evaluate`. Never compiles through
        fhirpathpy: constraints of elements that are absent must cost nothing."""
        cache_key = (constraint.key, constraint.expression or "")
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = _make_plan(constraint.key, cache_key[1], accelerate=self.accelerate)
            if plan is None:
                return None  # fhirpathpy's: evaluate() compiles it if it is ever needed
            self._plans[cache_key] = plan
        if plan.error is not None:
            return None
        if path:
            type_path = self._paths.get(path)
            if type_path is None:
                type_path = self._paths[path] = normalise_path(path)
        else:
            if type_name not in self._static_types:
                self._type_path(None, type_name, None, {})  # fills the static table
            static = self._static_types.get(type_name)
            if static is None:
                return None  # the type path depends on where the node sits
            type_path = static
        native, fast = plan.native, plan.fast
        context = self._native_context
        if native is not None:
            check = native
            passes = QUICK_PASS.get(native)
            if passes is not None:
                quick_pass = passes

                def run_guarded(node: Any, resource: dict[str, Any], root: dict[str, Any]) -> bool:
                    if quick_pass(node):
                        return True
                    # context.bind(type_path, resource, root), inlined (the hot path)
                    context.type_path, context.resource, context.outer = type_path, resource, root
                    try:
                        return check(node, context) == _TRUE
                    except Exception:  # evaluate() turns it into its outcome
                        return False

                return run_guarded

            def run_native(node: Any, resource: dict[str, Any], root: dict[str, Any]) -> bool:
                # context.bind(type_path, resource, root), inlined (the hot path)
                context.type_path, context.resource, context.outer = type_path, resource, root
                try:
                    return check(node, context) == _TRUE
                except Exception:  # evaluate() turns it into its outcome
                    return False

            return run_native
        if fast is not None:
            quick = fast

            def run_fast(node: Any, resource: dict[str, Any], root: dict[str, Any]) -> bool:
                try:
                    return quick([(node, type_path)]) == _TRUE
                except Exception:  # evaluate() turns it into its outcome
                    return False

            return run_fast
        return None

    def _run_within_budget(
        self,
        plan: _Plan,
        node: Any,
        type_path: str,
        resource: dict[str, Any],
        root: dict[str, Any],
        resolver: Resolver | None = None,
        key: str = "",
        variables: dict[str, Any] | None = None,
    ) -> InvariantOutcome:
        """fhirpathpy evaluation (expressions from loaded definitions, which pcocheck does
        not control) under a time budget per expression and per resource; what is cut
        short is an unevaluated outcome, reported by the caller, never a pass."""
        if self._budget_owner is not resource:
            self._budget_owner, self._budget_used = resource, 0.0
        remaining = RESOURCE_BUDGET_S - self._budget_used
        if remaining <= 0:
            return InvariantOutcome(
                None,
                f"not evaluated: FHIRPath evaluation on this resource used up its time "
                f"budget of {RESOURCE_BUDGET_S:g} s",
            )
        budget = min(EXPRESSION_BUDGET_S, remaining)
        armed = _arm_alarm(budget)
        started = time.perf_counter()
        try:
            try:
                return _verdict(
                    self._run_fhirpath(
                        plan, node, type_path, resource, root, resolver, key, variables
                    )
                )
            finally:
                if armed:
                    _disarm_alarm()
                self._budget_used += time.perf_counter() - started
        except _OutOfTime:  # also an alarm that fired while disarming: the budget was spent
            return InvariantOutcome(
                None, f"evaluation cut short after its time budget of {budget:g} s"
            )

    def root_of(self, resource: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
        """``%rootResource`` for ``resource``: its container if contained, else itself."""
        if resource is root:
            return root
        cached = self._containers
        if cached is None or cached[0] is not root:
            cached = (root, _containers(root))
            self._containers = cached
        return cached[1].get(id(resource), resource)

    # -- planning ----------------------------------------------------------------------
    def _plan(self, constraint: Constraint) -> _Plan:
        expression = constraint.expression or ""
        cache_key = (constraint.key, expression)
        plan = self._plans.get(cache_key)
        if plan is None:
            plan = _make_plan(constraint.key, expression, accelerate=self.accelerate)
            if plan is None:  # compiled once per distinct expression, whatever its key
                plan = self._compiled.get(expression)
                if plan is None:
                    plan = _fhirpath_plan(expression)
                    self._compiled[expression] = plan
            self._plans[cache_key] = plan
        return plan

    def _type_path(
        self, node: Any, type_name: str, path: str | None, resource: dict[str, Any]
    ) -> str:
        if path:
            normalised = self._paths.get(path)
            if normalised is None:
                normalised = self._paths[path] = normalise_path(path)
            return normalised
        if type_name not in self._static_types:
            static: str | None = type_name
            if "." in type_name and not type_name.startswith("System."):
                static = normalise_path(type_name)
            elif type_name in GENERIC_TYPES or type_name in ("Resource", "DomainResource"):
                static = None
            self._static_types[type_name] = static
            if static is not None:
                return static
        if type_name in GENERIC_TYPES and isinstance(node, dict):
            located = self._located
            if located is None or located[0] is not resource:
                located = (resource, locate_paths(resource))
                self._located = located
            return located[1].get(id(node), type_name or "Element")
        if isinstance(node, dict) and isinstance(node.get("resourceType"), str):
            return str(node["resourceType"])
        return type_name

    # -- fhirpathpy ----------------------------------------------------------------------
    def _run_fhirpath(
        self,
        plan: _Plan,
        node: Any,
        type_path: str,
        resource: dict[str, Any],
        root: dict[str, Any],
        resolver: Resolver | None = None,
        key: str = "",
        extra_variables: dict[str, Any] | None = None,
    ) -> list[Any]:
        fp = _fp()
        effective_root = self.root_of(resource, root) if plan.needs_root else resource
        state = fp.EvaluationState(
            resource=resource,
            root=effective_root,
            resolver=resolver if resolver is not None else self.resolver,
            member_of=self.member_of,
            conforms_to=self.conforms_to,
            key=key,
        )
        # A resource goes in as plain JSON: fhirpathpy only honours a leading type name
        # (``Appointment.status``) on raw resources. It types them by resourceType.
        is_resource = isinstance(node, dict) and "resourceType" in node
        data_root = [node if is_resource else fp.create_node(node, type_path)]
        variables: dict[str, Any] = dict(plan.variables or BASE_VARIABLES)
        variables["resource"] = resource
        variables["rootResource"] = effective_root
        variables["context"] = data_root[0]
        if extra_variables:
            variables.update(extra_variables)
        ctx: dict[str, Any] = {
            "dataRoot": data_root,
            "vars": variables,
            "model": R4_MODEL,
            "userInvocationTable": fp.table,
            "$this": data_root,
            fp.STATE_KEY: state,
        }
        fp.reset_constants()
        result = fp.do_eval(ctx, data_root, plan.parsed["children"][0])
        return list(result) if isinstance(result, list) else [result]


def _make_plan(key: str, expression: str, *, accelerate: bool = True) -> _Plan | None:
    """The native or fast plan for ``(key, expression)``; ``None`` when fhirpathpy is needed."""
    if not expression.strip():
        return _Plan("error", error="the constraint has no FHIRPath expression")
    if accelerate:
        native = NATIVE_BY_EXPRESSION.get((key, normalise(expression)))
        if native is not None:
            return _Plan("native", native=native)
        fast = compile_fast(expression)
        if fast is not None:
            return _Plan("fast", fast=fast)
    return None


def _shipped_trees() -> dict[str, Any]:
    """Parsed trees of the shipped invariants (tools/build_fhirpath_cache.py)."""
    from pcocheck.definitions.fhirpath_cache import shipped_trees

    return shipped_trees()


def _fhirpath_plan(expression: str) -> _Plan:
    """Compile ``expression`` with fhirpathpy (strict syntax, known functions only)."""
    from pcocheck.definitions.fhirpath_cache import shipped_tree

    # One tree read from the shipped cache; the ANTLR parser warm-up would otherwise
    # dominate start-up.
    parsed = shipped_tree(expression)
    if parsed is None:
        try:
            check_syntax(expression)
            parsed = _fp_compile(expression, model=R4_MODEL).parsedPath
        except Exception as error:
            return _Plan("error", error=f"the expression does not parse: {_describe(error)}")
    unknown = sorted(set(functions_used(parsed)) - _fp().known_functions)
    if unknown:
        names = ", ".join(f"{name}()" for name in unknown)
        return _Plan("error", error=f"unsupported function {names}")
    variables = dict(BASE_VARIABLES)
    for kind, name in _NAMED_VARIABLE.findall(expression):
        base = "ValueSet" if kind == "vs" else "StructureDefinition"
        variables[f"{kind}-{name}"] = f"http://hl7.org/fhir/{base}/{name}"
    return _Plan(
        "fhirpath",
        parsed=parsed,
        variables=variables,
        needs_root=any(marker in expression for marker in _ROOT_VARIABLES),
    )


def __getattr__(name: str) -> Any:
    """``KNOWN_FUNCTIONS`` (fhirpathpy's functions and pcocheck's), computed on first use."""
    if name == "KNOWN_FUNCTIONS":
        return _fp().known_functions
    raise AttributeError(name)


def functions_used(parsed: Any) -> list[str]:
    """Names of the functions a parsed fhirpathpy expression calls."""
    names: list[str] = []
    stack: list[Any] = [parsed]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            children = node.get("children") or []
            if node.get("type") == "Functn" and children and isinstance(children[0], dict):
                names.append(str(children[0].get("text", "")))
            stack.extend(children)
        elif isinstance(node, list):
            stack.extend(node)
    return names


def normalise_path(path: str) -> str:
    """Element path → fhirpathpy type path.

    ``Questionnaire.item.item`` → ``Questionnaire.item``; ``Observation.valueQuantity`` →
    ``Quantity``.
    """
    segments = [segment.split(":", 1)[0] for segment in path.split(".")]
    current = segments[0]
    for segment in segments[1:]:
        current = child_type_path(current, segment.removesuffix("[x]"))
    return current


def _containers(root: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """``id()`` of every contained resource under ``root`` → its container."""
    found: dict[int, dict[str, Any]] = {}
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("resourceType"), str):
                contained = node.get("contained")
                if isinstance(contained, list):
                    for item in contained:
                        if isinstance(item, dict):
                            found[id(item)] = node
            stack.extend(v for v in node.values() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend(v for v in node if isinstance(v, dict | list))
    return found


def _verdict(result: list[Any]) -> InvariantOutcome:
    if not result:
        return FAILED
    if len(result) == 1:
        value = _plain(result[0])
        if value is False:
            return FAILED
        return PASSED  # true, or a single non-boolean item (FHIRPath §4.5: true)
    return InvariantOutcome(
        None, f"the expression returned {len(result)} items where one boolean was expected"
    )


def _plain(item: Any) -> Any:
    if "fhirpathpy" not in sys.modules:
        return item  # no fhirpathpy node can exist yet
    return item.data if isinstance(item, _fp().ResourceNode) else item


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    text = " ".join(text.split())
    if len(text) > 200:
        text = text[:197] + "..."
    if text.startswith("Not implemented"):
        return f"unsupported function ({text})"
    return text


__all__ = [
    "NATIVE_KEYS",
    "InvariantEvaluator",
    "InvariantOutcome",
    "check_syntax",
    "functions_used",
    "normalise_path",
]
