using System.Reflection;

[assembly: AssemblyTitle("Bms.Device")]
[assembly: AssemblyDescription("BmsFirmware device application: the BMS on an ESP32 or STM32 board, or simulation mode without an AFE")]
[assembly: AssemblyProduct("BmsFirmware")]
[assembly: AssemblyVersion("1.0.0.0")]
