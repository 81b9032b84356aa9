// Linked into the ThreadSanitizer builds of the tests that run librdkafka (FRISTVAGT_TSAN,
// `./dev tsan`) only. Debian's librdkafka uses glibc's C11 threads (thrd_create, mtx_lock,
// cnd_wait), which call pthreads inside glibc where GCC 12's TSan does not intercept them: its
// threads then start unregistered and crash in TSan's allocator, and its locks are invisible.
// These definitions take the place of glibc's for librdkafka and forward to the pthread calls
// that TSan intercepts. glibc's mtx_t and cnd_t are pthread_mutex_t and pthread_cond_t.

#include <errno.h>
#include <pthread.h>
#include <threads.h>

#include <cstdint>
#include <cstdlib>

namespace {

int FromErrno(int e) {
  switch (e) {
    case 0:
      return thrd_success;
    case ETIMEDOUT:
      return thrd_timedout;
    case EBUSY:
      return thrd_busy;
    case ENOMEM:
      return thrd_nomem;
    default:
      return thrd_error;
  }
}

struct Start {
  thrd_start_t func;
  void* arg;
};

void* Trampoline(void* start) {
  const Start s = *static_cast<Start*>(start);
  std::free(start);
  return reinterpret_cast<void*>(static_cast<intptr_t>(s.func(s.arg)));
}

pthread_mutex_t* M(mtx_t* m) { return reinterpret_cast<pthread_mutex_t*>(m); }
pthread_cond_t* C(cnd_t* c) { return reinterpret_cast<pthread_cond_t*>(c); }

}  // namespace

extern "C" {

int thrd_create(thrd_t* thr, thrd_start_t func, void* arg) {
  auto* start = static_cast<Start*>(std::malloc(sizeof(Start)));
  if (start == nullptr) return thrd_nomem;
  *start = {func, arg};
  const int e = pthread_create(reinterpret_cast<pthread_t*>(thr), nullptr, &Trampoline, start);
  if (e != 0) std::free(start);
  return FromErrno(e);
}

int thrd_join(thrd_t thr, int* res) {
  void* value = nullptr;
  const int e = pthread_join(static_cast<pthread_t>(thr), &value);
  if (e == 0 && res != nullptr) *res = static_cast<int>(reinterpret_cast<intptr_t>(value));
  return FromErrno(e);
}

int thrd_detach(thrd_t thr) { return FromErrno(pthread_detach(static_cast<pthread_t>(thr))); }

int mtx_init(mtx_t* m, int type) {
  pthread_mutexattr_t attr;
  pthread_mutexattr_init(&attr);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
  const int e = pthread_mutex_init(M(m), &attr);
  pthread_mutexattr_destroy(&attr);
  return FromErrno(e);
}
int mtx_lock(mtx_t* m) { return FromErrno(pthread_mutex_lock(M(m))); }
int mtx_trylock(mtx_t* m) { return FromErrno(pthread_mutex_trylock(M(m))); }
int mtx_unlock(mtx_t* m) { return FromErrno(pthread_mutex_unlock(M(m))); }
void mtx_destroy(mtx_t* m) { pthread_mutex_destroy(M(m)); }

int cnd_init(cnd_t* c) { return FromErrno(pthread_cond_init(C(c), nullptr)); }
int cnd_signal(cnd_t* c) { return FromErrno(pthread_cond_signal(C(c))); }
int cnd_broadcast(cnd_t* c) { return FromErrno(pthread_cond_broadcast(C(c))); }
int cnd_wait(cnd_t* c, mtx_t* m) { return FromErrno(pthread_cond_wait(C(c), M(m))); }
int cnd_timedwait(cnd_t* c, mtx_t* m, const struct timespec* until) {
  return FromErrno(pthread_cond_timedwait(C(c), M(m), until));
}
void cnd_destroy(cnd_t* c) { pthread_cond_destroy(C(c)); }

void call_once(once_flag* flag, void (*func)(void)) {
  pthread_once(reinterpret_cast<pthread_once_t*>(flag), func);
}

}  // extern "C"
