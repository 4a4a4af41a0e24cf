namespace Bms.Drivers.Bq769x0
{
    /// <summary>Register addresses and bit fields of the TI BQ76920/30/40 (datasheet register map).</summary>
    public static class Bq769x0Registers
    {
        /// <summary>Status flags; a 1 written to a bit clears it.</summary>
        public const int SysStat = 0x00;
        /// <summary>Balancing switches of cells 1..5 (bits 0..4).</summary>
        public const int CellBal1 = 0x01;
        /// <summary>Balancing switches of cells 6..10.</summary>
        public const int CellBal2 = 0x02;
        /// <summary>Balancing switches of cells 11..15.</summary>
        public const int CellBal3 = 0x03;
        /// <summary>ADC enable, thermistor select, shutdown.</summary>
        public const int SysCtrl1 = 0x04;
        /// <summary>Coulomb counter enable, FET drive.</summary>
        public const int SysCtrl2 = 0x05;
        /// <summary>Shunt range, short-circuit threshold and delay.</summary>
        public const int Protect1 = 0x06;
        /// <summary>Over-current-in-discharge threshold and delay.</summary>
        public const int Protect2 = 0x07;
        /// <summary>Under- and over-voltage delays.</summary>
        public const int Protect3 = 0x08;
        /// <summary>Over-voltage threshold, bits 11..4 of the 14-bit ADC code.</summary>
        public const int OvTrip = 0x09;
        /// <summary>Under-voltage threshold, bits 11..4 of the 14-bit ADC code.</summary>
        public const int UvTrip = 0x0A;
        /// <summary>Must be written with <see cref="CcCfgRequired"/> after power-up.</summary>
        public const int CcCfg = 0x0B;
        /// <summary>High byte of cell input 1; input n (1..15) is at VC1_HI + 2·(n − 1).</summary>
        public const int Vc1Hi = 0x0C;
        /// <summary>High byte of the stack voltage.</summary>
        public const int BatHi = 0x2A;
        /// <summary>High byte of thermistor input 1; TS2 and TS3 follow.</summary>
        public const int Ts1Hi = 0x2C;
        /// <summary>High byte of the coulomb counter (signed).</summary>
        public const int CcHi = 0x32;
        /// <summary>Factory trim: ADCGAIN bits 4..3 in bits 3..2.</summary>
        public const int AdcGain1 = 0x50;
        /// <summary>Factory trim: signed ADC offset in mV.</summary>
        public const int AdcOffset = 0x51;
        /// <summary>Factory trim: ADCGAIN bits 2..0 in bits 7..5.</summary>
        public const int AdcGain2 = 0x59;

        /// <summary>Value CC_CFG must hold for correct coulomb-counter operation.</summary>
        public const byte CcCfgRequired = 0x19;

        /// <summary>SYS_STAT: a coulomb-counter conversion completed.</summary>
        public const byte StatCcReady = 0x80;
        /// <summary>SYS_STAT: internal chip fault / reset; configuration lost.</summary>
        public const byte StatDeviceXReady = 0x20;
        /// <summary>SYS_STAT: ALERT pin driven high externally.</summary>
        public const byte StatOvrdAlert = 0x10;
        /// <summary>SYS_STAT: cell under-voltage.</summary>
        public const byte StatUv = 0x08;
        /// <summary>SYS_STAT: cell over-voltage.</summary>
        public const byte StatOv = 0x04;
        /// <summary>SYS_STAT: short circuit in discharge.</summary>
        public const byte StatScd = 0x02;
        /// <summary>SYS_STAT: over-current in discharge.</summary>
        public const byte StatOcd = 0x01;
        /// <summary>SYS_STAT: every defined flag.</summary>
        public const byte StatAll = 0xBF;

        /// <summary>SYS_CTRL1: load detected (read-only).</summary>
        public const byte Ctrl1LoadPresent = 0x80;
        /// <summary>SYS_CTRL1: voltage/temperature ADC on (also enables OV protection).</summary>
        public const byte Ctrl1AdcEn = 0x10;
        /// <summary>SYS_CTRL1: TSx inputs read external thermistors instead of the die temperature.</summary>
        public const byte Ctrl1TempSel = 0x08;

        /// <summary>SYS_CTRL2: disables protection delays (test only).</summary>
        public const byte Ctrl2DelayDis = 0x80;
        /// <summary>SYS_CTRL2: coulomb counter in continuous 250 ms mode.</summary>
        public const byte Ctrl2CcEn = 0x40;
        /// <summary>SYS_CTRL2: single coulomb-counter conversion.</summary>
        public const byte Ctrl2CcOneShot = 0x20;
        /// <summary>SYS_CTRL2: discharge FET on.</summary>
        public const byte Ctrl2DsgOn = 0x02;
        /// <summary>SYS_CTRL2: charge FET on.</summary>
        public const byte Ctrl2ChgOn = 0x01;

        /// <summary>PROTECT1: doubles the SCD/OCD threshold range.</summary>
        public const byte Protect1Rsns = 0x80;

        /// <summary>Cell ADC full-scale code (14 bits).</summary>
        public const int AdcMaxCode = 0x3FFF;

        /// <summary>Thermistor ADC step: 382 µV per LSB.</summary>
        public const int TsLsb_uV = 382;

        /// <summary>Coulomb counter step: 8.44 µV per LSB, here in nV.</summary>
        public const int CcLsb_nV = 8440;

        /// <summary>Coulomb counter (and voltage ADC) conversion period.</summary>
        public const int ConversionPeriod_ms = 250;

        /// <summary>Short-circuit thresholds in mV across the shunt, RSNS = 0.</summary>
        public static readonly int[] ScdThresholdLow_mV = { 22, 33, 44, 56, 67, 78, 89, 100 };
        /// <summary>Short-circuit thresholds in mV across the shunt, RSNS = 1.</summary>
        public static readonly int[] ScdThresholdHigh_mV = { 44, 67, 89, 111, 133, 155, 178, 200 };
        /// <summary>Short-circuit delays in µs.</summary>
        public static readonly int[] ScdDelay_us = { 70, 100, 200, 400 };
        /// <summary>Over-current thresholds in mV across the shunt, RSNS = 0.</summary>
        public static readonly int[] OcdThresholdLow_mV = { 8, 11, 14, 17, 19, 22, 25, 28, 31, 33, 36, 39, 42, 44, 47, 50 };
        /// <summary>Over-current thresholds in mV across the shunt, RSNS = 1.</summary>
        public static readonly int[] OcdThresholdHigh_mV = { 17, 22, 28, 33, 39, 44, 50, 56, 61, 67, 72, 78, 83, 89, 94, 100 };
        /// <summary>Over-current delays in ms.</summary>
        public static readonly int[] OcdDelay_ms = { 8, 20, 40, 80, 160, 320, 640, 1280 };
        /// <summary>Under-voltage delays in s.</summary>
        public static readonly int[] UvDelay_s = { 1, 4, 8, 16 };
        /// <summary>Over-voltage delays in s.</summary>
        public static readonly int[] OvDelay_s = { 1, 2, 4, 8 };
    }
}
