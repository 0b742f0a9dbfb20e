// ec2seed: seeds the kernel's random pool at boot from EC2 metadata and AWS KMS.
#include <string>
#include <vector>

#include "ec2seed/app/run.h"

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto context = ec2seed::app::process_context();
    return ec2seed::app::run_command(args, context);
}
