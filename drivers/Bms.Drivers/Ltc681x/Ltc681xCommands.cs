using Bms.Drivers.Common;

namespace Bms.Drivers.Ltc681x
{
    /// <summary>
    /// The 11-bit command codes of the LTC681x / ADBMS181x family and their wire encoding: two command bytes
    /// (high first) followed by the 16-bit PEC15 of those two bytes (high first).
    /// </summary>
    public static class Ltc681xCommands
    {
        /// <summary>Write configuration register group A.</summary>
        public const int WRCFGA = 0x001;
        /// <summary>Write configuration register group B (LTC6812/6813/ADBMS1818).</summary>
        public const int WRCFGB = 0x024;
        /// <summary>Read configuration register group A.</summary>
        public const int RDCFGA = 0x002;
        /// <summary>Read configuration register group B.</summary>
        public const int RDCFGB = 0x026;
        /// <summary>Read cell voltage register group A (cells 1–3).</summary>
        public const int RDCVA = 0x004;
        /// <summary>Read cell voltage register group B (cells 4–6).</summary>
        public const int RDCVB = 0x006;
        /// <summary>Read cell voltage register group C (cells 7–9).</summary>
        public const int RDCVC = 0x008;
        /// <summary>Read cell voltage register group D (cells 10–12).</summary>
        public const int RDCVD = 0x00A;
        /// <summary>Read cell voltage register group E (cells 13–15).</summary>
        public const int RDCVE = 0x009;
        /// <summary>Read cell voltage register group F (cells 16–18).</summary>
        public const int RDCVF = 0x00B;
        /// <summary>Read auxiliary register group A (GPIO1–3).</summary>
        public const int RDAUXA = 0x00C;
        /// <summary>Read auxiliary register group B (GPIO4–5, 2nd reference).</summary>
        public const int RDAUXB = 0x00E;
        /// <summary>Read auxiliary register group C (GPIO6–8).</summary>
        public const int RDAUXC = 0x00D;
        /// <summary>Read auxiliary register group D (GPIO9).</summary>
        public const int RDAUXD = 0x00F;
        /// <summary>Clear the cell voltage registers to 0xFFFF.</summary>
        public const int CLRCELL = 0x711;
        /// <summary>Clear the auxiliary registers to 0xFFFF.</summary>
        public const int CLRAUX = 0x712;

        /// <summary>ADC mode bits MD = 10: 7 kHz "normal" mode when ADCOPT = 0.</summary>
        public const int ModeNormal = 2;

        /// <summary>Channel selection "all cells" (CH = 000) / "all GPIOs and 2nd reference" (CHG = 000).</summary>
        public const int AllChannels = 0;

        private static readonly int[] CellGroupReads = { RDCVA, RDCVB, RDCVC, RDCVD, RDCVE, RDCVF };
        private static readonly int[] AuxGroupReads = { RDAUXA, RDAUXB, RDAUXC, RDAUXD };

        /// <summary>ADCV: start cell conversion. Layout 01 MD[1:0] 11 DCP 0 CH[2:0].</summary>
        public static int Adcv(int mode, bool dischargePermitted, int cellSelection)
        {
            return 0x260 | ((mode & 3) << 7) | (dischargePermitted ? 0x10 : 0) | (cellSelection & 7);
        }

        /// <summary>ADOW: open-wire conversion with pull-up (PUP = 1) or pull-down current. Layout 01 MD[1:0] PUP 1 DCP 1 CH[2:0].</summary>
        public static int Adow(int mode, bool pullUp, bool dischargePermitted, int cellSelection)
        {
            return 0x228 | ((mode & 3) << 7) | (pullUp ? 0x40 : 0) | (dischargePermitted ? 0x10 : 0) | (cellSelection & 7);
        }

        /// <summary>ADAX: start GPIO conversion. Layout 10 MD[1:0] 11 0 0 CHG[2:0].</summary>
        public static int Adax(int mode, int gpioSelection)
        {
            return 0x460 | ((mode & 3) << 7) | (gpioSelection & 7);
        }

        /// <summary>Read command of cell voltage register group <paramref name="group"/> (0 = A .. 5 = F).</summary>
        public static int ReadCellGroup(int group)
        {
            return CellGroupReads[group];
        }

        /// <summary>Read command of auxiliary register group <paramref name="group"/> (0 = A .. 3 = D).</summary>
        public static int ReadAuxGroup(int group)
        {
            return AuxGroupReads[group];
        }

        /// <summary>Writes the 4 wire bytes of <paramref name="command"/> (CMD0, CMD1, PEC0, PEC1) at <paramref name="offset"/>.</summary>
        public static void Encode(int command, byte[] buffer, int offset)
        {
            buffer[offset] = (byte)((command >> 8) & 0x07);
            buffer[offset + 1] = (byte)command;
            Pec15.Append(buffer, offset, 2);
        }

        /// <summary>
        /// VUV field for an under-voltage threshold: UV = (VUV + 1) × 16 × 100 µV, rounded so the threshold the
        /// chip applies is at or just below the requested one. Clamped to 0..4095.
        /// </summary>
        public static int EncodeUnderVoltage(int threshold_mV)
        {
            int vuv = threshold_mV * 10 / 16 - 1;
            return vuv < 0 ? 0 : (vuv > 0xFFF ? 0xFFF : vuv);
        }

        /// <summary>VOV field for an over-voltage threshold: OV = VOV × 16 × 100 µV (at or just below the request). Clamped.</summary>
        public static int EncodeOverVoltage(int threshold_mV)
        {
            int vov = threshold_mV * 10 / 16;
            return vov < 0 ? 0 : (vov > 0xFFF ? 0xFFF : vov);
        }

        /// <summary>The under-voltage threshold in 100 µV units the chip applies for a VUV field.</summary>
        public static int UnderVoltageOf(int vuv)
        {
            return (vuv + 1) * 16;
        }

        /// <summary>The over-voltage threshold in 100 µV units the chip applies for a VOV field.</summary>
        public static int OverVoltageOf(int vov)
        {
            return vov * 16;
        }

        private static readonly int[] DischargeTimeoutSeconds =
            { 0, 30, 60, 120, 180, 240, 300, 600, 900, 1200, 1800, 2400, 3600, 4500, 5400, 7200 };

        /// <summary>Discharge timeout of a DCTO code (0 = timer disabled, 1 = 0.5 min .. 15 = 120 min), in seconds.</summary>
        public static int DischargeTimeout_s(int dctoCode)
        {
            return DischargeTimeoutSeconds[dctoCode & 0xF];
        }
    }
}
