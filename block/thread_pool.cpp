#include "thread_pool.h"

namespace mimic::block {

ThreadPool::ThreadPool(unsigned max_threads) : max_threads_(max_threads ? max_threads : 1) {}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_) t.join();
}

void ThreadPool::submit(std::function<void()> job) {
    std::lock_guard lock(mutex_);
    jobs_.push_back(std::move(job));
    // Threads are started lazily: a drive that is never used costs nothing.
    if (idle_threads_ == 0 && threads_.size() < max_threads_)
        threads_.emplace_back([this] { worker(); });
    else
        work_cv_.notify_one();
}

void ThreadPool::wait_idle() {
    std::unique_lock lock(mutex_);
    idle_cv_.wait(lock, [this] { return jobs_.empty() && busy_ == 0; });
}

void ThreadPool::worker() {
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_threads_;
        work_cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        --idle_threads_;
        if (jobs_.empty()) return;   // stopping and drained
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        ++busy_;
        lock.unlock();
        job();
        lock.lock();
        --busy_;
        if (jobs_.empty() && busy_ == 0) idle_cv_.notify_all();
    }
}

}  // namespace mimic::block
