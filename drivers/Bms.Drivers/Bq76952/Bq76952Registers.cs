namespace Bms.Drivers.Bq76952
{
    /// <summary>
    /// Register, subcommand and data-memory addresses of the TI BQ76952 (values from the BQ76952 technical
    /// reference manual). Direct commands address the chip's 7-bit register space; subcommands and data-memory
    /// addresses are 16-bit codes written little-endian to 0x3E/0x3F.
    /// </summary>
    public static class Bq76952Registers
    {
        // ---- Direct commands ----
        /// <summary>Safety Alert A (1 byte).</summary>
        public const byte SafetyAlertA = 0x02;
        /// <summary>Safety Status A (1 byte): SCD bit 7, OCD2 6, OCD1 5, OCC 4, COV 3, CUV 2.</summary>
        public const byte SafetyStatusA = 0x03;
        /// <summary>Safety Alert B (1 byte).</summary>
        public const byte SafetyAlertB = 0x04;
        /// <summary>Safety Status B (1 byte): OTF 7, OTINT 6, OTD 5, OTC 4, UTINT 2, UTD 1, UTC 0.</summary>
        public const byte SafetyStatusB = 0x05;
        /// <summary>Safety Alert C (1 byte).</summary>
        public const byte SafetyAlertC = 0x06;
        /// <summary>Safety Status C (1 byte): OCD3 7, SCDL 6, OCDL 5, COVL 4, PTOS 2, HWDF 1.</summary>
        public const byte SafetyStatusC = 0x07;
        /// <summary>Battery Status (2 bytes).</summary>
        public const byte BatteryStatus = 0x12;
        /// <summary>Cell 1 voltage (2 bytes, signed mV); cell n is at 0x14 + 2 (n - 1).</summary>
        public const byte Cell1Voltage = 0x14;
        /// <summary>Top-of-stack voltage (userV units, 10 mV with this driver's DA Configuration).</summary>
        public const byte StackVoltage = 0x34;
        /// <summary>PACK pin voltage (userV).</summary>
        public const byte PackPinVoltage = 0x36;
        /// <summary>LD pin voltage (userV).</summary>
        public const byte LdPinVoltage = 0x38;
        /// <summary>CC2 current (signed, userA units; positive = charging).</summary>
        public const byte Cc2Current = 0x3A;
        /// <summary>Subcommand low byte; 0x3F is the high byte.</summary>
        public const byte SubcommandLow = 0x3E;
        /// <summary>Subcommand high byte.</summary>
        public const byte SubcommandHigh = 0x3F;
        /// <summary>First byte of the 32-byte subcommand transfer buffer (0x40..0x5F).</summary>
        public const byte TransferBuffer = 0x40;
        /// <summary>Transfer buffer size in bytes.</summary>
        public const int TransferBufferSize = 32;
        /// <summary>Subcommand checksum: ~(sum of 0x3E..last data byte) &amp; 0xFF.</summary>
        public const byte TransferChecksum = 0x60;
        /// <summary>Subcommand length: data bytes + 4.</summary>
        public const byte TransferLength = 0x61;
        /// <summary>Alarm Status (2 bytes, latched; write 1s to clear).</summary>
        public const byte AlarmStatus = 0x62;
        /// <summary>Alarm Raw Status (2 bytes, live).</summary>
        public const byte AlarmRawStatus = 0x64;
        /// <summary>Alarm Enable (2 bytes; loaded from Default Alarm Mask at reset and on leaving CONFIG_UPDATE).</summary>
        public const byte AlarmEnable = 0x66;
        /// <summary>Internal (die) temperature, 0.1 K.</summary>
        public const byte InternalTemperature = 0x68;
        /// <summary>TS1 temperature, 0.1 K.</summary>
        public const byte Ts1Temperature = 0x70;
        /// <summary>TS2 temperature, 0.1 K.</summary>
        public const byte Ts2Temperature = 0x72;
        /// <summary>TS3 temperature, 0.1 K.</summary>
        public const byte Ts3Temperature = 0x74;
        /// <summary>FET Status (1 byte): CHG_FET bit 0, PCHG 1, DSG_FET 2, PDSG 3.</summary>
        public const byte FetStatus = 0x7F;

        // ---- Battery Status bits ----
        /// <summary>Battery Status: the chip is in CONFIG_UPDATE mode.</summary>
        public const int BatteryStatusCfgUpdate = 1 << 0;
        /// <summary>Battery Status: the chip went through a full reset (cleared on leaving CONFIG_UPDATE).</summary>
        public const int BatteryStatusPor = 1 << 3;
        /// <summary>Battery Status: a safety fault is active.</summary>
        public const int BatteryStatusSafetyFault = 1 << 11;
        /// <summary>Battery Status: a permanent fault is active.</summary>
        public const int BatteryStatusPermanentFault = 1 << 12;

        // ---- Alarm Status bits ----
        /// <summary>Alarm: a Safety Status B or C bit is set.</summary>
        public const int AlarmSafetyStatusBC = 1 << 15;
        /// <summary>Alarm: a Safety Status A bit is set.</summary>
        public const int AlarmSafetyStatusA = 1 << 14;
        /// <summary>Alarm: a permanent fault is set.</summary>
        public const int AlarmPermanentFault = 1 << 13;
        /// <summary>Alarm: masked safety alert.</summary>
        public const int AlarmMaskedSafetyAlert = 1 << 12;
        /// <summary>Alarm: masked permanent-fault alert.</summary>
        public const int AlarmMaskedPfAlert = 1 << 11;
        /// <summary>Alarm: a full measurement scan (all cells, temperatures) completed.</summary>
        public const int AlarmFullScan = 1 << 7;
        /// <summary>Alarm: a voltage ADC scan completed.</summary>
        public const int AlarmAdScan = 1 << 1;

        // ---- FET Status bits ----
        /// <summary>FET Status: CHG FET on.</summary>
        public const int FetStatusChg = 1 << 0;
        /// <summary>FET Status: DSG FET on.</summary>
        public const int FetStatusDsg = 1 << 2;

        // ---- Subcommands ----
        /// <summary>Returns the device number 0x7695.</summary>
        public const int DeviceNumber = 0x0001;
        /// <summary>Full chip reset.</summary>
        public const int Reset = 0x0012;
        /// <summary>Toggles FET_EN (autonomous FET control vs FET test mode).</summary>
        public const int FetEnable = 0x0022;
        /// <summary>Manufacturing Status (2 bytes); FET_EN is bit 4.</summary>
        public const int ManufacturingStatus = 0x0057;
        /// <summary>Cells being balanced (read) / to balance (write), 16-bit input bitmap.</summary>
        public const int CbActiveCells = 0x0083;
        /// <summary>Enters CONFIG_UPDATE mode.</summary>
        public const int SetCfgUpdate = 0x0090;
        /// <summary>Leaves CONFIG_UPDATE mode.</summary>
        public const int ExitCfgUpdate = 0x0092;
        /// <summary>Turns the DSG and PDSG FETs off (host hold).</summary>
        public const int DsgPdsgOff = 0x0093;
        /// <summary>Turns the CHG and PCHG FETs off (host hold).</summary>
        public const int ChgPchgOff = 0x0094;
        /// <summary>Turns every FET off (host hold).</summary>
        public const int AllFetsOff = 0x0095;
        /// <summary>Releases every host FET hold.</summary>
        public const int AllFetsOn = 0x0096;

        /// <summary>Value DEVICE_NUMBER returns on a BQ76952.</summary>
        public const int DeviceNumberValue = 0x7695;
        /// <summary>Manufacturing Status: FET_EN bit.</summary>
        public const int ManufacturingStatusFetEn = 1 << 4;

        // ---- Data memory ----
        /// <summary>First data-memory address (Calibration:Voltage:Cell 1 Gain).</summary>
        public const int DataMemoryFirst = 0x9180;
        /// <summary>Last data-memory address.</summary>
        public const int DataMemoryLast = 0x93FF;
        /// <summary>Calibration:Current:CC Gain (IEEE-754 single).</summary>
        public const int DmCcGain = 0x91A8;
        /// <summary>Settings:Configuration:Comm Type.</summary>
        public const int DmCommType = 0x9239;
        /// <summary>Settings:Protection:Enabled Protections A.</summary>
        public const int DmEnabledProtectionsA = 0x9261;
        /// <summary>Settings:Protection:Enabled Protections B.</summary>
        public const int DmEnabledProtectionsB = 0x9262;
        /// <summary>Settings:Protection:Enabled Protections C.</summary>
        public const int DmEnabledProtectionsC = 0x9263;
        /// <summary>Settings:Alarm:Default Alarm Mask (2 bytes).</summary>
        public const int DmDefaultAlarmMask = 0x926D;
        /// <summary>Protections:CUV:Threshold (units of 50.6 mV).</summary>
        public const int DmCuvThreshold = 0x9275;
        /// <summary>Protections:CUV:Delay (2 bytes, units of 3.3 ms).</summary>
        public const int DmCuvDelay = 0x9276;
        /// <summary>Protections:COV:Threshold (units of 50.6 mV).</summary>
        public const int DmCovThreshold = 0x9278;
        /// <summary>Protections:COV:Delay (2 bytes, units of 3.3 ms).</summary>
        public const int DmCovDelay = 0x9279;
        /// <summary>Protections:OCC:Threshold (units of 2 mV across the sense resistor).</summary>
        public const int DmOccThreshold = 0x9280;
        /// <summary>Protections:OCD1:Threshold (units of 2 mV across the sense resistor).</summary>
        public const int DmOcd1Threshold = 0x9282;
        /// <summary>Protections:SCD:Threshold (enumerated 10..500 mV across the sense resistor).</summary>
        public const int DmScdThreshold = 0x9286;
        /// <summary>Protections:OTC:Threshold (°C).</summary>
        public const int DmOtcThreshold = 0x929A;
        /// <summary>Protections:OTD:Threshold (°C).</summary>
        public const int DmOtdThreshold = 0x929D;
        /// <summary>Protections:UTC:Threshold (°C).</summary>
        public const int DmUtcThreshold = 0x92A6;
        /// <summary>Protections:UTD:Threshold (°C).</summary>
        public const int DmUtdThreshold = 0x92A9;
        /// <summary>Settings:Configuration:TS1 Config (TS2 and TS3 follow).</summary>
        public const int DmTs1Config = 0x92FD;
        /// <summary>Settings:Configuration:TS2 Config.</summary>
        public const int DmTs2Config = 0x92FE;
        /// <summary>Settings:Configuration:TS3 Config.</summary>
        public const int DmTs3Config = 0x92FF;
        /// <summary>Settings:Configuration:DA Configuration (user units).</summary>
        public const int DmDaConfiguration = 0x9303;
        /// <summary>Settings:Configuration:Vcell Mode (2 bytes, bitmap of used cell inputs; 0 = all 16).</summary>
        public const int DmVcellMode = 0x9304;
        /// <summary>Settings:Cell Balancing Config:Balancing Configuration (0 = host-controlled only).</summary>
        public const int DmBalancingConfiguration = 0x9335;
        /// <summary>Settings:Cell Balancing Config:Cell Balance Max Cells.</summary>
        public const int DmCellBalanceMaxCells = 0x933A;

        /// <summary>TS pin configuration value: ADC input with the 18k thermistor model, reported as a cell temperature.</summary>
        public const byte TsConfigCellThermistor = 0x07;
        /// <summary>TS pin configuration value: pin unused.</summary>
        public const byte TsConfigUnused = 0x00;
    }
}
