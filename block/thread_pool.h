// Worker threads for aio=threads: each job runs a blocking driver call.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mimic::block {

class ThreadPool {
public:
    explicit ThreadPool(unsigned max_threads);
    ~ThreadPool();   // finishes queued jobs first

    void submit(std::function<void()> job);
    void wait_idle();

private:
    void worker();

    unsigned max_threads_;
    std::mutex mutex_;
    std::condition_variable work_cv_;
    std::condition_variable idle_cv_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    unsigned busy_ = 0;
    unsigned idle_threads_ = 0;
    bool stopping_ = false;
};

}  // namespace mimic::block
