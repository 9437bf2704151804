"""Tests for skrnn._threads: BLAS at one thread, and the setting restored."""

import os
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest
from numpy.testing import assert_array_equal
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_info

import skrnn._classifier as classifier_module
import skrnn._prediction as prediction_module
from skrnn import RNNTextClassifier
from skrnn._threads import (
    WayJudge,
    beside,
    helper_threads,
    map_shared,
    single_threaded_blas,
)
from skrnn.datasets import load_toy_sentiment


def _blas_threads():
    return {
        info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"
    }


def test_blas_threads_are_restored_after_overlapping_calls_from_threads(monkeypatch):
    # Regression: each call set and restored the process-wide setting, so
    # calls overlapping in several threads left BLAS at one thread.
    X, y = load_toy_sentiment(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = RNNTextClassifier(max_iter=2, random_state=0).fit(X, y)
    before = _blas_threads()
    if before == {1}:
        pytest.skip("BLAS runs one thread already: nothing to restore")
    n_threads = 4
    overlap = threading.Barrier(n_threads, timeout=30)
    seen = []
    original = prediction_module.predict_logits

    def overlapping(*args, **kwargs):
        overlap.wait()  # every call is inside the context at once
        seen.append(_blas_threads())
        overlap.wait()  # ... until all have looked
        return original(*args, **kwargs)

    monkeypatch.setattr(prediction_module, "predict_logits", overlapping)
    with ThreadPoolExecutor(n_threads) as pool:
        results = list(pool.map(lambda _: clf.predict_proba(X), range(n_threads)))
    assert seen == [{1}] * n_threads
    assert _blas_threads() == before
    for proba in results:
        assert_array_equal(proba, results[0])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_while_a_thread_predicts_gets_its_blas_threads_back():
    # Regression: a child forked while another thread was inside skrnn's
    # single-threaded BLAS (a prediction, a fit) kept BLAS at one thread for
    # the rest of its life: no thread of its own was inside to restore it.
    before = _blas_threads()
    if before == {1}:
        pytest.skip("BLAS runs one thread already: nothing to restore")
    inside, leave = threading.Event(), threading.Event()

    def predicting():
        with single_threaded_blas():
            inside.set()
            leave.wait()

    thread = threading.Thread(target=predicting)
    thread.start()
    inside.wait()
    try:
        assert _blas_threads() == {1}
        pid = os.fork()
        if pid == 0:  # the child
            code = 1
            try:
                code = 0 if _blas_threads() == before else 2
                with single_threaded_blas():
                    code = code or (0 if _blas_threads() == {1} else 3)
                code = code or (0 if _blas_threads() == before else 4)
            finally:
                os._exit(code)
        deadline = time.monotonic() + 60
        while not (finished := os.waitpid(pid, os.WNOHANG))[0]:
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail("the forked child hung")
            time.sleep(0.01)
        assert os.waitstatus_to_exitcode(finished[1]) == 0
        assert _blas_threads() == {1}  # the parent's thread is still inside
    finally:
        leave.set()
        thread.join()
    assert _blas_threads() == before


# ------------------------------------------- tasks shared with helper threads


@pytest.mark.parametrize(("n_jobs", "n_helpers"), [(None, 0), (1, 0), (2, 1), (3, 2)])
def test_map_shared_runs_on_this_thread_and_its_helpers(n_jobs, n_helpers):
    # The calling thread works beside n_jobs - 1 helpers: each item waits for
    # every thread to have taken one, so all of them take part.
    n_threads = n_helpers + 1
    together = threading.Barrier(n_threads, timeout=30)
    threads = []

    def square(item):
        threads.append(threading.current_thread())
        if len(threads) <= n_threads:
            together.wait()
        return item * item

    with helper_threads(n_jobs, n_tasks=10) as helpers:
        assert (helpers is None) == (n_helpers == 0)
        assert map_shared(helpers, square, range(10)) == [i * i for i in range(10)]
    assert len(set(threads)) == n_threads
    assert threading.current_thread() in threads


def test_helper_threads_are_no_more_than_the_tasks_need():
    with helper_threads(4, n_tasks=1) as helpers:
        assert helpers is None
    with helper_threads(4, n_tasks=2) as helpers:
        assert helpers.n_threads == 1


@pytest.mark.parametrize("failing", ["first", "last"])
def test_map_shared_raises_what_a_task_raised_and_stops_taking_more(failing):
    # Whichever thread takes the failing item, the error comes out of
    # map_shared once every thread is done, and no thread takes another item
    # after it (the others take long enough for it to fail first).
    done = []

    def task(item):
        if (failing == "first" and item == 0) or (failing == "last" and item == 9):
            raise ValueError(f"task {item}")
        time.sleep(0.01)
        done.append(item)

    with (
        helper_threads(2, n_tasks=10) as helpers,
        pytest.raises(ValueError, match="task"),
    ):
        map_shared(helpers, task, range(10))
    if failing == "first":
        assert len(done) < 9
    else:
        assert sorted(done) == list(range(9))


def test_way_judge_goes_the_faster_way_and_explores_the_other():
    judge = WayJudge(explore_every=4, judged=2)
    ways = []
    for _ in range(9):
        way = judge.way("work")
        ways.append(way)
        judge.record("work", way, 1.0 if way else 3.0)  # with helpers faster
    # first with helpers, the second run exploring alone, then with helpers
    # but one run in four alone
    assert ways == [True, False, True, True, True, False, True, True, True]
    slower = WayJudge(explore_every=4, judged=2)
    ways = []
    for _ in range(6):
        way = slower.way("work")
        ways.append(way)
        slower.record("work", way, 3.0 if way else 1.0)  # alone faster
    assert ways == [True, False, False, False, False, True]


def test_way_judge_explores_a_way_measured_recently_no_more(monkeypatch):
    # With explore_seconds, a run that would explore a way measured less
    # than that long ago goes the fastest way instead: calls of a few
    # milliseconds explore about once in explore_seconds, not one in
    # explore_every (5% of a's 20 ms calls went to the slower ways).
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    judge = WayJudge(explore_every=2, judged=2, explore_seconds=10.0)
    ways = []
    for _ in range(7):
        way = judge.way("work")
        ways.append(way)
        judge.record("work", way, 1.0 if way else 3.0)  # with helpers faster
        now[0] += 1.0
    # the second run explores (never measured), the others within 10 s do not
    assert ways == [True, False, True, True, True, True, True]
    now[0] += 10.0
    assert judge.way("work") is False  # exploring, 10 s since alone's measure
    assert judge.way("work") is True  # not an exploring run


def test_way_judge_explores_a_slow_way_within_its_share_of_the_time(monkeypatch):
    # With explore_share, a way is explored again only once the kind's runs
    # since its last measure have taken 1 / explore_share times that run's
    # seconds, however far apart the runs come: runs a second apart explored
    # each slower way about once a second (6% of b's LSTM calls' time).
    now = [0.0]
    monkeypatch.setattr(time, "monotonic", lambda: now[0])
    judge = WayJudge(
        explore_every=2, judged=2, explore_seconds=1.0, explore_share=0.125
    )
    ways = []
    for _ in range(40):
        way = judge.way("work")
        ways.append(way)
        # 8 items, 0.125 s with helpers, 0.375 s alone
        judge.record("work", way, 1 / 64 if way else 3 / 64, items=8)
        now[0] += 2.0  # never measured within explore_seconds
    # alone (0.375 s) is explored again after 3 s of runs, that one's
    # included: 0.375 s and 21 runs of 0.125 s
    explored = [i for i, way in enumerate(ways) if not way]
    assert explored == [1, 23]
    # without explore_share, one run in two explores
    plain = WayJudge(explore_every=2, judged=2, explore_seconds=1.0)
    for _ in range(6):
        way = plain.way("work")
        plain.record("work", way, 1 / 64 if way else 3 / 64, items=8)
        now[0] += 2.0
    assert plain.way("work") is True
    assert plain.way("work") is False


def test_way_judge_keeps_each_kind_apart_and_forgets_the_oldest():
    judge = WayJudge(judged=1, max_keys=2)
    for key, alone_faster in (("a", True), ("b", False)):
        for _ in range(2):
            way = judge.way(key)
            judge.record(key, way, 1.0 if way != alone_faster else 2.0)
    assert not judge.way("a")
    assert judge.way("b")
    judge.way("c")  # a third kind: "a", the oldest, is forgotten
    assert set(judge._runs) == {"b", "c"}
    assert judge.way("a")  # a first run again
    judge.record("gone", True, 1.0)  # a kind never asked about: ignored
    assert "gone" not in judge._rates


# ------------------------------------------------------ work beside a block


@pytest.mark.parametrize("n_jobs", [None, 1, 2])
def test_beside_runs_the_work_first_or_on_a_thread_of_its_own(n_jobs):
    threads, block = [], threading.Event()

    def work():
        if n_jobs == 2:  # runs while the block does, which lets it go on
            assert block.wait(timeout=30)
        threads.append(threading.current_thread())
        return 42

    with beside(work, n_jobs) as result:
        ran_first = bool(threads)
        block.set()
        assert result() == 42
    assert ran_first == (n_jobs != 2)
    assert (threads[0] is threading.current_thread()) == (n_jobs != 2)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_beside_raises_what_the_work_raised_when_its_result_is_asked(n_jobs):
    def work():
        raise ValueError("no companion")

    with (
        pytest.raises(ValueError, match="no companion"),
        beside(work, n_jobs) as result,
    ):
        result()
    with beside(None, n_jobs) as result:
        assert result() is None


def test_the_companion_fits_beside_the_network_with_two_jobs(monkeypatch):
    X, y = load_toy_sentiment(return_X_y=True)
    threads = []
    fit_ngrams = classifier_module.fit_ngrams

    def spy(*args, **kwargs):
        threads.append(threading.current_thread())
        return fit_ngrams(*args, **kwargs)

    monkeypatch.setattr(classifier_module, "fit_ngrams", spy)
    params = {"hidden_size": 8, "embedding_dim": 8, "max_iter": 3, "random_state": 0}
    one = RNNTextClassifier(**params).fit(X, y)
    two = RNNTextClassifier(**params, n_jobs=2).fit(X, y)
    assert threads[0] is threading.current_thread()
    assert threads[1] is not threading.current_thread()
    # the same model, the companion included
    assert_array_equal(two._fitted.ngrams.coef, one._fitted.ngrams.coef)
    assert_array_equal(two.predict_proba(X), one.predict_proba(X))
    # verbose output keeps its order: the companion's line, then the epochs'
    RNNTextClassifier(**params, n_jobs=2, verbose=1).fit(X, y)
    assert threads[2] is threading.current_thread()


def test_a_failing_companion_on_its_thread_leaves_the_estimator_as_it_was(
    monkeypatch,
):
    X, y = load_toy_sentiment(return_X_y=True)
    clf = RNNTextClassifier(hidden_size=8, max_iter=2, n_jobs=2, random_state=0)
    clf.fit(X, y)
    proba = clf.predict_proba(X)

    def failing(*args, **kwargs):
        raise MemoryError("no room for the n-grams")

    monkeypatch.setattr(classifier_module, "fit_ngrams", failing)
    with pytest.raises(MemoryError, match="no room"):
        clf.fit(X[:20], y[:20])
    assert_array_equal(clf.predict_proba(X), proba)
