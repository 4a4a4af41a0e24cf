using System;
using System.Threading;

namespace Bms.Calibration
{
    /// <summary>
    /// Flash this app to measure the board's interpreter speed in IL instructions per second. It runs
    /// <see cref="CalibrationWorkload"/> (whose instruction count is known from the host counter) for about
    /// ten seconds at a time and prints the rate over the serial/debug console. Divide the bench's
    /// "IL instructions per 100 ms tick" by this rate to get the CPU time a tick needs on this board.
    /// </summary>
    public static class Program
    {
        private const long TicksPerSecond = 10000000; // DateTime ticks are 100 ns
        private const long MeasureTicks = 10 * TicksPerSecond;
        private const long GuardLoopInstructionsPerTick = 10000; // the bench's budget for a 16-cell pack

        public static void Main()
        {
            var workload = new CalibrationWorkload();
            Console.WriteLine("BmsFirmware IL calibration: " + CalibrationWorkload.InstructionsPerRun.ToString() + " IL instructions per run");

            int checksum = workload.Run();
            if (checksum != CalibrationWorkload.ExpectedChecksum)
            {
                // A different result means a different path through the code: the count would not apply.
                Console.WriteLine("CHECKSUM MISMATCH: got " + checksum.ToString() + ", expected " + CalibrationWorkload.ExpectedChecksum.ToString() + "; figures below are not valid");
            }

            while (true)
            {
                long start = DateTime.UtcNow.Ticks;
                long elapsed;
                long runs = 0;
                do
                {
                    workload.Run();
                    runs++;
                    elapsed = DateTime.UtcNow.Ticks - start;
                }
                while (elapsed < MeasureTicks);

                long instructions = runs * CalibrationWorkload.InstructionsPerRun;
                long perSecond = instructions * TicksPerSecond / elapsed;
                // CPU share (in 0.1 %) that a 100 ms tick of the budgeted size would take on this board.
                long tickShare_permille = perSecond > 0 ? GuardLoopInstructionsPerTick * 10 * 1000 / perSecond : 0;
                Console.WriteLine("runs=" + runs.ToString()
                    + " elapsed_ms=" + (elapsed / 10000).ToString()
                    + " il_per_s=" + perSecond.ToString()
                    + " budget_tick_cpu_permille=" + tickShare_permille.ToString());
                Thread.Sleep(1000);
            }
        }
    }
}
