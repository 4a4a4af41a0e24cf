namespace Bms.Calibration
{
    /// <summary>
    /// A fixed piece of work shaped like the BMS guard loop (frame decoding with a CRC, per-cell integer
    /// filtering and limit checks, a long charge accumulator), used to measure how many IL instructions per
    /// second a board's nanoCLR interpreter executes. Every <see cref="Run"/> starts from the same state and
    /// therefore executes exactly the same instructions; their number was counted on the host with the IL
    /// instruction counter (tests/Bms.Tools.Tests/Bench/CalibrationWorkloadTests.cs checks these constants).
    /// Kept in C# 7.3 against nanoFramework's mscorlib only, so the host test compiles this very file.
    /// </summary>
    public sealed class CalibrationWorkload
    {
        /// <summary>Cells per simulated scan.</summary>
        public const int CellCount = 16;

        /// <summary>Scans per run.</summary>
        public const int ScansPerRun = 8;

#if DEBUG
        /// <summary>IL instructions executed by one <see cref="Run"/> (Debug build: unoptimized IL).</summary>
        public const long InstructionsPerRun = 72979;
#else
        /// <summary>IL instructions executed by one <see cref="Run"/> (Release build: optimized IL).</summary>
        public const long InstructionsPerRun = 57769;
#endif

        /// <summary>What <see cref="Run"/> returns: a different value means the board computed something else.</summary>
        public const int ExpectedChecksum = 57989;

        private const int CrcPolynomial = 0x07;

        private readonly int[] _cell_mV = new int[CellCount];
        private readonly int[] _filtered_mV = new int[CellCount];
        private readonly byte[] _frame = new byte[2 * CellCount];
        private long _charge_mAms;

        /// <summary>Runs the workload once and returns its checksum (always <see cref="ExpectedChecksum"/>).</summary>
        public int Run()
        {
            int seed = 12345;
            _charge_mAms = 0;
            for (int i = 0; i < CellCount; i++)
            {
                _filtered_mV[i] = 3700;
            }

            int checksum = 0;
            for (int scan = 0; scan < ScansPerRun; scan++)
            {
                // Pseudo-random "raw frame" from a linear congruential generator (wraps, as on the device).
                for (int i = 0; i < _frame.Length; i++)
                {
                    seed = unchecked(seed * 1103515245 + 12345);
                    _frame[i] = (byte)(seed >> 16);
                }
                checksum ^= Crc8(_frame, _frame.Length);

                for (int i = 0; i < CellCount; i++)
                {
                    int raw = _frame[2 * i] | (_frame[2 * i + 1] << 8);
                    int value_mV = 2500 + (raw & 0x7FF);
                    _cell_mV[i] = value_mV;
                    _filtered_mV[i] += (value_mV - _filtered_mV[i]) / 4;
                    if (_filtered_mV[i] > 4200)
                    {
                        checksum += i;
                    }
                    else if (_filtered_mV[i] < 3000)
                    {
                        checksum -= i;
                    }
                }
                _charge_mAms += (long)(seed & 0xFFF) * 100;
            }
            return checksum ^ (int)(_charge_mAms % 65521);
        }

        /// <summary>Bitwise CRC-8 (polynomial 0x07, initial 0), as the BQ769x0/BQ76952 I2C CRC.</summary>
        private static int Crc8(byte[] data, int count)
        {
            int crc = 0;
            for (int i = 0; i < count; i++)
            {
                crc ^= data[i];
                for (int bit = 0; bit < 8; bit++)
                {
                    crc = (crc & 0x80) != 0 ? ((crc << 1) ^ CrcPolynomial) & 0xFF : (crc << 1) & 0xFF;
                }
            }
            return crc;
        }
    }
}
